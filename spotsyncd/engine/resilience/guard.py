"""One call to an outside service, guarded: its circuit checked, a turn of its budget held.

    with guard.call("spotify", cancel):
        meta = spotify.track(track_id)

In order: the circuit is checked through its cache (an open one defers the job without waiting
for a turn); a turn is taken (``budgets.py``); the circuit is checked again, now from the ledger
itself, since another process may have met a 429 while this one waited; then the call. A bot
check or a rate limit opens the circuit *before* the turn is handed on, so with one turn at a
time (``sources.spotify.max_concurrent: 1``) nobody asks again once a service has said "wait".
A success closes a circuit that opened before the call started.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Collection, Iterator
from typing import Protocol

from spotsyncd.core.errors import BotCheckError, CredentialsError, RateLimitedError
from spotsyncd.core.wording import counted
from spotsyncd.engine.resilience.budgets import SourceBudgets
from spotsyncd.engine.resilience.circuits import SERVICES, Circuits

log = logging.getLogger(__name__)

GENERIC = "generic"  # the lane of any host but YouTube's and Spotify's
DIRECT = "direct"  # its budget's name in ``sources``


class Guard:
    def __init__(self, circuits: Circuits, budgets: SourceBudgets | None = None) -> None:
        self.circuits = circuits
        self.budgets = budgets

    @contextlib.contextmanager
    def call(self, lane: str, cancel: threading.Event | None = None) -> Iterator[None]:
        """Guard one request or transfer of ``lane`` ("spotify", "youtube", "generic")."""
        has_circuit = lane in SERVICES
        if has_circuit:
            self.circuits.check(lane)
        turn = (
            self.budgets.turn(DIRECT if lane == GENERIC else lane, cancel)
            if self.budgets is not None
            else contextlib.nullcontext()
        )
        with turn:
            if has_circuit and self.budgets is not None:
                self.circuits.check(lane, fresh=True)
            started = time.time()
            try:
                yield
            except (RateLimitedError, BotCheckError, CredentialsError) as exc:
                if has_circuit:
                    if isinstance(exc, RateLimitedError) and not exc.service:
                        exc.service = lane
                    self.circuits.record_failure(lane, exc)
                raise
            if has_circuit:
                self.circuits.record_success(lane, started)


# Which tracks wait while a service's circuit is open: Spotify tracks need Spotify's metadata;
# YouTube tracks, Spotify tracks and free-text lines are searched for or fetched on YouTube.
HELD_SOURCES = {"spotify": ("spotify",), "youtube": ("youtube", "spotify", "search")}
HOLD_EVERY_S = 2.0


class HoldLedger(Protocol):
    def hold_for_circuit(self, sources: Collection[str], until: float, why: str) -> int: ...


class CircuitHold:
    """Keeps the queued jobs of a service whose circuit is open out of the claim: they wait in
    the ledger with ``retry_at`` = when it closes (the coordinator dispatches none of them, the
    local pool takes none), while jobs of other sources go on."""

    def __init__(self, circuits: Circuits, ledger: HoldLedger) -> None:
        self.circuits = circuits
        self.ledger = ledger
        self._next = 0.0

    def hold(self) -> None:
        """At most every ``HOLD_EVERY_S`` (the circuits are read through their cache)."""
        now = time.monotonic()
        if now < self._next:
            return
        self._next = now + HOLD_EVERY_S
        for lane, sources in HELD_SOURCES.items():
            until = self.circuits.open_until(lane)
            if until is None:
                continue
            clock = time.strftime("%H:%M:%S", time.localtime(until))
            held = self.ledger.hold_for_circuit(
                sources, until, f"{lane} circuit open until {clock}"
            )
            if held:
                log.info("%s wait for the %s circuit (until %s)", counted(held, "job"), lane, clock)
