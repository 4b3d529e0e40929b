"""Taking turns on a service's rate budget, and leaving a failing service alone for a while.

A client asks ``turn(service)`` before each request and sends it inside the ``with`` block.
``LocalPacer`` is the process-local budget (one request at a time per service, an interval
after the last answer); the daemon and its workers can hand in one shared across processes
instead (any callable of the same shape). ``Breaker`` keeps a service that just failed (down,
timing out, refusing) from slowing every track: for ``rest_s`` its lookups are skipped and the
tracks stay unverified.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

Turn = Callable[[str], AbstractContextManager[None]]
Clock = Callable[[], float]

MUSICBRAINZ = "musicbrainz"
ACOUSTID = "acoustid"
# MusicBrainz: one request per second per client IP; AcoustID: three per second per key.
INTERVALS_S = {MUSICBRAINZ: 1.0, ACOUSTID: 1.0 / 3}


class LocalPacer:
    """One request at a time per service from this process, each sent at least
    ``intervals_s[service]`` after the previous one was answered: measured where the service
    counts (when a request arrives), two can then never be closer than the interval, whatever
    the connection's delays. The wait happens in the calling thread, which must hold no
    download or CPU slot."""

    def __init__(
        self,
        intervals_s: dict[str, float] | None = None,
        *,
        clock: Clock = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.intervals_s = dict(INTERVALS_S if intervals_s is None else intervals_s)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._services: dict[str, threading.Lock] = {}
        self._ready_at: dict[str, float] = {}

    def slow_down(self, service: str, seconds: float) -> None:
        """The service asked us to wait (a 503): nobody here asks it again for ``seconds``."""
        with self._lock:
            self._ready_at[service] = max(self._ready_at.get(service, 0.0), self._clock() + seconds)

    def turn(self, service: str) -> AbstractContextManager[None]:
        return self._turn(service)

    @contextmanager
    def _turn(self, service: str) -> Iterator[None]:
        with self._lock:
            one_at_a_time = self._services.setdefault(service, threading.Lock())
        with one_at_a_time:
            while True:  # a slow_down() may come in while this thread sleeps
                with self._lock:
                    wait = self._ready_at.get(service, 0.0) - self._clock()
                if wait <= 0:
                    break
                self._sleep(wait)
            try:
                yield
            finally:
                with self._lock:
                    answered = self._clock() + self.intervals_s.get(service, 1.0)
                    self._ready_at[service] = max(self._ready_at.get(service, 0.0), answered)


class Breaker:
    """After a failure a service is left alone for ``rest_s`` (its lookups return at once)."""

    def __init__(self, rest_s: float = 60.0, *, clock: Clock = time.monotonic) -> None:
        self.rest_s = rest_s
        self._clock = clock
        self._until: dict[str, float] = {}
        self._lock = threading.Lock()

    def open(self, service: str) -> bool:
        with self._lock:
            return self._clock() < self._until.get(service, 0.0)

    def failed(self, service: str) -> None:
        with self._lock:
            self._until[service] = self._clock() + self.rest_s

    def succeeded(self, service: str) -> None:
        with self._lock:
            self._until.pop(service, None)
