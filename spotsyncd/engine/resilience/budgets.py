"""Per-source budgets shared by every process: how many requests or transfers to one source may
be under way at once (``max_concurrent``), and how long apart two may start (``min_interval``).

    budgets = budgets_for(lambda: config, ledger, holder="host:1234")
    with budgets.turn("musicbrainz"):          # blocks until this process may start
        response = client.get(url)             # the turn ends when the block does

``turn(source)`` is the whole interface: anything that calls a rate-limited service takes a turn
around each request (the pipeline around downloads and Spotify calls; MusicBrainz and AcoustID
lookups likewise), in the daemon, the coordinator and every ``spotsyncd worker`` alike, so that
twenty workers look like one user to YouTube and MusicBrainz sees one request a second.

The turns are rows in the ledger (``ledger/shared/budgets.py``): the same code in local mode
(SQLite) and with Celery workers (PostgreSQL). A turn is a lease of ``LEASE_S`` that a thread of
this process renews while it is held: a holder killed mid-transfer frees its turn within a lease,
never holds it forever. A source without limits costs nothing (no ledger row is written).
Threads of one process waiting for the same source are woken as soon as one of them ends its
turn; others poll the ledger every fraction of a second.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from typing import Protocol

from spotsyncd.core.config import Config
from spotsyncd.core.errors import CancelledError
from spotsyncd.ledger import TurnAnswer

log = logging.getLogger(__name__)

LEASE_S = 60.0  # a turn not renewed for this long is free again (its holder died)
SOURCES = ("youtube", "spotify", "musicbrainz", "acoustid", "direct")


@dataclass(frozen=True)
class Limit:
    """A source's budget: 0 means no limit of that kind."""

    max_concurrent: int = 0
    min_interval_s: float = 0.0

    @property
    def unlimited(self) -> bool:
        return not self.max_concurrent and not self.min_interval_s


class TurnStore(Protocol):
    """Where turns are kept (``ledger.Budgets``; ``ledger.Ledger`` has it)."""

    def take_turn(
        self,
        source: str,
        holder: str,
        *,
        max_concurrent: int,
        min_interval_s: float,
        lease_s: float,
    ) -> TurnAnswer: ...
    def end_turn(self, turn_id: int) -> None: ...
    def renew_turns(self, turn_ids: Collection[int], lease_s: float) -> None: ...


class SourceBudgets:
    def __init__(
        self,
        store: TurnStore,
        limits: Callable[[str], Limit],
        holder: str,
        *,
        lease_s: float = LEASE_S,
    ) -> None:
        """``limits(source)`` is read at each turn (a reloaded config applies at once)."""
        self.store = store
        self.limits = limits
        self.holder = holder
        self.lease_s = lease_s
        self._held: set[int] = set()
        self._lock = threading.Lock()
        self._ended = threading.Condition(self._lock)
        self._renewer: threading.Thread | None = None

    def turn(
        self, source: str, cancel: threading.Event | None = None
    ) -> contextlib.AbstractContextManager[None]:
        """Block until this process may start a request to ``source`` under its budget
        across all processes; the turn ends when the ``with`` block does. ``cancel`` set while
        waiting raises ``CancelledError``."""
        return self._turn(source, cancel)

    @contextlib.contextmanager
    def _turn(self, source: str, cancel: threading.Event | None) -> Iterator[None]:
        limit = self.limits(source)
        if limit.unlimited:
            yield
            return
        turn_id = self._take(source, limit, cancel)
        try:
            yield
        finally:
            self._end(turn_id)

    def _take(self, source: str, limit: Limit, cancel: threading.Event | None) -> int:
        waited_since = time.monotonic()
        told = False
        while True:
            if cancel is not None and cancel.is_set():
                raise CancelledError("cancelled while waiting for a turn")
            answer = self.store.take_turn(
                source,
                self.holder,
                max_concurrent=limit.max_concurrent,
                min_interval_s=limit.min_interval_s,
                lease_s=self.lease_s,
            )
            if answer.turn_id is not None:
                with self._lock:
                    self._held.add(answer.turn_id)
                    self._start_renewer()
                return answer.turn_id
            if not told and time.monotonic() - waited_since > 30:
                told = True
                log.info("waiting for a %s turn (its budget is in use by other work)", source)
            with self._ended:
                self._ended.wait(answer.wait_s)

    def _end(self, turn_id: int) -> None:
        with self._lock:
            self._held.discard(turn_id)
        try:
            self.store.end_turn(turn_id)
        except Exception as exc:  # noqa: BLE001 - the lease lapses on its own
            log.debug("turn %d not ended (it lapses by itself): %s", turn_id, exc)
        with self._ended:
            self._ended.notify_all()

    def _start_renewer(self) -> None:
        """Called with the lock held: one thread renews this process's turns while it has any."""
        if self._renewer is not None and self._renewer.is_alive():
            return
        self._renewer = threading.Thread(
            target=self._renew, name="spotsyncd-budget-turns", daemon=True
        )
        self._renewer.start()

    def _renew(self) -> None:
        while True:
            time.sleep(self.lease_s / 3)
            with self._lock:
                held = set(self._held)
                if not held:
                    self._renewer = None
                    return
            try:
                self.store.renew_turns(held, self.lease_s)
            except Exception as exc:  # noqa: BLE001 - next time; the lease is three times longer
                log.debug("budget turns not renewed: %s", exc)


def unlimited(_source: str) -> Limit:
    return Limit()


def budgets_for(config: Callable[[], Config], store: TurnStore, holder: str) -> SourceBudgets:
    """The budgets every process builds the same way (the daemon, ``get``, each worker):
    kept in ``store`` (the ledger), with the limits of the current ``sources.*``."""
    return SourceBudgets(store, config_limits(config), holder)


def config_limits(config: Callable[[], Config]) -> Callable[[str], Limit]:
    """Each source's ``Limit`` as the current configuration (``sources.*``) says."""

    def limit(source: str) -> Limit:
        concurrent, interval = config().sources.limit_of(source)
        return Limit(max_concurrent=concurrent, min_interval_s=interval)

    return limit
