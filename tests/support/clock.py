"""A clock that moves only when the test moves it, for code that takes ``clock=``."""

from __future__ import annotations

import threading


class FakeClock:
    """Call it for the time (like ``time.monotonic``); ``advance`` moves it. Start and steps
    are binary fractions in the tests (100.0, 0.25, 2.5), so durations come out exact."""

    def __init__(self, start: float = 100.0) -> None:
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a monotonic clock does not go back")
        with self._lock:
            self._now += seconds
