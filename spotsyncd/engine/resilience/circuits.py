"""Circuit breakers per outside service ("youtube", "spotify"), and the "offline" one.

A bot check or a rate limit opens the service's circuit: jobs that need it are deferred until it
closes, with a back-off that doubles on each consecutive failure (or exactly what a Retry-After
said), while other sources keep working. The first success closes it.

The service circuits are shared: with a ``shared`` store (the ledger's ``ServiceCircuits``)
every process that uses the ledger (the daemon, the coordinator, each ``spotsyncd worker``, on
any machine) reads and writes one state, so the first 429 stops them all. A check before each
call reads it through a cache of ``CACHE_S``; the check taken inside a budget turn
(``check(lane, fresh=True)``) reads the ledger itself, so that callers queued behind the one
that met the 429 never ask again. Without a store (unit tests) they live in this process.

The ``offline`` circuit is per machine: open while this machine has no network, no job is taken
until a probe gets through. It is mirrored into a small JSON file in the state dir so that
``spotsyncd status`` (another process on the machine) can show it.

This module keeps the state and nothing more: whether the machine is offline is the offline
watch's call (``offline.py``), which opens and closes the ``offline`` circuit here; the worker
that cannot reach a host asks the watch, not the circuits. So the watch knows the circuits and
the circuits know no watch.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

from spotsyncd.core.errors import BotCheckError, CredentialsError, DeferredError, RateLimitedError
from spotsyncd.ledger import CircuitRow, is_unavailable

log = logging.getLogger(__name__)

BASE_BACKOFF_S = 300.0
MAX_BACKOFF_S = 6 * 3600.0
OFFLINE = "offline"
SERVICES = ("spotify", "youtube")  # the lanes with a circuit ("generic" hosts have none)
CACHE_S = 1.5  # a check before a call reads the shared state at most this often
_SEEN = "_spotsyncd_circuit_until"  # set on an exception once it opened a circuit


class CircuitStore(Protocol):
    """Where shared circuits live (``ledger.ServiceCircuits``; ``ledger.Ledger`` has it)."""

    def service_circuits(self) -> dict[str, CircuitRow]: ...
    def open_circuit(
        self,
        service: str,
        *,
        wait_s: float | None,
        base_s: float,
        max_s: float,
        reason: str,
        error_class: str,
        by: str,
    ) -> CircuitRow: ...
    def close_circuit(
        self, service: str, *, opened_before: float | None = None, error_class: str | None = None
    ) -> bool: ...


@dataclass
class Circuit:
    open_until: float = 0.0
    failures: int = 0
    reason: str = ""
    error_class: str = ""
    since: float = 0.0  # when it opened
    until_probe: bool = False  # open until a probe closes it (offline); open_until: next probe

    def is_open(self, now: float) -> bool:
        return self.until_probe or self.open_until > now


class Circuits:
    def __init__(
        self,
        state_file: Path | None = None,
        *,
        shared: CircuitStore | None = None,
        holder: str = "",
        base_backoff_s: float = BASE_BACKOFF_S,
        on_change: Callable[[str, bool, str], None] | None = None,
    ):
        # on_change(lane, is_open, reason): told after a circuit opens or closes in this
        # process (a shared store writes its own events).
        self._on_change = on_change
        self._lock = threading.Lock()
        self._circuits: dict[str, Circuit] = {}
        self._state_file = state_file
        self._base = base_backoff_s
        self._shared = shared
        self._holder = holder or f"{os.getpid()}"
        self._view: dict[str, Circuit] = {}  # the shared circuits as last read
        self._view_at = -CACHE_S
        self._load()

    # ------------------------------------------------------------------ service circuits

    def check(self, lane: str, *, fresh: bool = False) -> None:
        """Raise DeferredError while ``lane``'s circuit is open (``fresh``: read the shared
        state now, not through the cache)."""
        now = time.time()
        circuit = self._service(lane, fresh=fresh)
        if circuit is not None and circuit.is_open(now):
            until = time.strftime("%H:%M:%S", time.localtime(circuit.open_until))
            raise DeferredError(
                f"{lane} circuit open until {until}: {circuit.reason}", circuit.open_until
            )

    def open_until(self, lane: str) -> float | None:
        """When ``lane``'s circuit closes, while it is open (through the cache)."""
        circuit = self._service(lane)
        return circuit.open_until if circuit is not None and circuit.is_open(time.time()) else None

    def record_failure(self, lane: str, exc: BaseException) -> float | None:
        """Open ``lane``'s circuit for a bot check or rate limit. Returns when it closes.
        The same exception seen twice (by the call's guard, then by the worker) counts once."""
        if not isinstance(exc, BotCheckError | RateLimitedError | CredentialsError):
            return None
        seen = getattr(exc, _SEEN, None)
        if seen is not None:
            return float(seen)
        now = time.time()
        retry_after = getattr(exc, "retry_after", None)
        reason = str(exc)[:300]
        error_class = getattr(exc, "error_class", "")
        if self._shared is not None:
            row = self._shared.open_circuit(
                lane,
                wait_s=float(retry_after) if retry_after else None,
                base_s=self._base,
                max_s=MAX_BACKOFF_S,
                reason=reason,
                error_class=error_class,
                by=self._holder,
            )
            until = row.open_until
            with self._lock:
                self._view[lane] = _circuit_of(row)
        else:
            with self._lock:
                circuit = self._circuits.setdefault(lane, Circuit())
                if not circuit.is_open(now):
                    circuit.since = now
                circuit.failures += 1
                wait = min(self._base * 2 ** (circuit.failures - 1), MAX_BACKOFF_S)
                if retry_after:
                    wait = float(retry_after)
                circuit.open_until = max(circuit.open_until, now + wait)
                circuit.reason = reason
                circuit.error_class = error_class
                until = circuit.open_until
                self._save()
        with contextlib.suppress(AttributeError):  # no __dict__: counted again, at worst
            setattr(exc, _SEEN, until)
        log.warning("%s circuit open for %.0fs: %s", lane, until - now, exc)
        self._changed(lane, True, f"open for {until - now:.0f}s: {exc}")
        return until

    def paused_until(self) -> float | None:
        """While offline: when to look again (the next probe). None: work may go on."""
        with self._lock:
            circuit = self._circuits.get(OFFLINE)
            return max(circuit.open_until, time.time() + 0.5) if circuit else None

    def open_offline(self, reason: str, next_probe_at: float, since: float) -> None:
        with self._lock:
            self._circuits[OFFLINE] = Circuit(
                open_until=next_probe_at,
                failures=1,
                reason=reason,
                error_class=OFFLINE,
                since=since,
                until_probe=True,
            )
            self._save()

    def probe_failed(self, next_probe_at: float) -> None:
        with self._lock:
            circuit = self._circuits.get(OFFLINE)
            if circuit is not None:
                circuit.failures += 1
                circuit.open_until = next_probe_at
                self._save()

    def close_offline(self) -> Circuit | None:
        """Close the offline circuit; returns it as it was (None: it was not open)."""
        with self._lock:
            circuit = self._circuits.pop(OFFLINE, None)
            if circuit is not None:
                self._save()
            return circuit

    def offline_circuit(self) -> Circuit | None:
        with self._lock:
            circuit = self._circuits.get(OFFLINE)
            return None if circuit is None else Circuit(**asdict(circuit))

    def record_success(self, lane: str, started_at: float | None = None) -> None:
        """A request to ``lane`` succeeded: its circuit closes, unless the request started
        (``started_at``) before the circuit opened (it proves nothing about now)."""
        if self._shared is not None:
            if self._service(lane) is None:
                return  # nothing failed lately (as last read): no write for every success
            if not self._shared.close_circuit(lane, opened_before=started_at):
                return
            with self._lock:
                self._view.pop(lane, None)
        else:
            with self._lock:
                circuit = self._circuits.get(lane)
                if circuit is None or (circuit.failures == 0 and not circuit.open_until):
                    return
                if started_at is not None and circuit.since >= started_at:
                    return
                self._circuits.pop(lane)
                self._save()
        log.info("%s circuit closed: a request succeeded", lane)
        self._changed(lane, False, "closed: a request succeeded")

    def clear_credentials(self, lane: str) -> bool:
        """The user may have fixed the login: let the next job try again. True if the
        circuit was open for the login (the jobs it held may go now)."""
        if self._shared is not None:
            if not self._shared.close_circuit(lane, error_class="credentials"):
                return False
            with self._lock:
                self._view.pop(lane, None)
        else:
            with self._lock:
                circuit = self._circuits.get(lane)
                if circuit is None or circuit.error_class != "credentials":
                    return False
                self._circuits.pop(lane)
                self._save()
        log.info("%s circuit closed: trying the new credentials", lane)
        self._changed(lane, False, "closed: trying the new credentials")
        return True

    def _service(self, lane: str, *, fresh: bool = False) -> Circuit | None:
        if self._shared is None:
            with self._lock:
                return self._circuits.get(lane)
        with self._lock:
            if fresh or time.monotonic() - self._view_at >= CACHE_S:
                try:
                    rows = self._shared.service_circuits()
                except Exception as exc:
                    if not is_unavailable(exc):
                        raise
                    log.debug("circuits not read (the ledger is away): %s", exc)
                else:
                    self._view = {name: _circuit_of(row) for name, row in rows.items()}
                    self._view_at = time.monotonic()
            return self._view.get(lane)

    def _changed(self, lane: str, is_open: bool, reason: str) -> None:
        if self._on_change is None:
            return
        try:
            self._on_change(lane, is_open, reason[:300])
        except Exception:  # noqa: BLE001 - recording the change must not break the job
            log.debug("circuit change not recorded", exc_info=True)

    def snapshot(self) -> dict[str, dict[str, object]]:
        """Every circuit this process knows (shared ones as last read), with ``open``."""
        now = time.time()
        if self._shared is not None:
            for lane in SERVICES:
                self._service(lane)  # refresh the view when it is older than the cache
        with self._lock:
            known = {**self._view, **self._circuits}
            return {lane: {**asdict(c), "open": c.is_open(now)} for lane, c in known.items()}

    @staticmethod
    def read(state_file: Path) -> dict[str, dict[str, object]]:
        """The circuits as the daemon last saved them (for ``status``)."""
        try:
            data = json.loads(state_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        now = time.time()
        return {
            lane: {
                **value,
                "open": bool(value.get("until_probe")) or float(value.get("open_until", 0)) > now,
            }
            for lane, value in data.items()
            if isinstance(value, dict)
        }

    def _load(self) -> None:
        if self._state_file is None:
            return
        saved = self.read(self._state_file)
        if self._shared is not None:
            self._adopt(saved)
        if OFFLINE in saved or (self._shared is not None and saved):
            self._save()  # a new start looks at the network afresh
        for lane, value in saved.items():
            if lane == OFFLINE or self._shared is not None:
                continue
            self._circuits[lane] = Circuit(
                open_until=float(value.get("open_until", 0)),  # type: ignore[arg-type]
                failures=int(value.get("failures", 0)),  # type: ignore[call-overload]
                reason=str(value.get("reason", "")),
                error_class=str(value.get("error_class", "")),
            )

    def _adopt(self, saved: dict[str, dict[str, object]]) -> None:
        """Service circuits that an older spotsyncd left open in this machine's file (they
        were per process then) move into the ledger: an upgrade forgets no Retry-After."""
        assert self._shared is not None
        now = time.time()
        for lane, value in saved.items():
            until = float(value.get("open_until", 0))  # type: ignore[arg-type]
            if lane == OFFLINE or not value.get("open") or until <= now:
                continue
            self._shared.open_circuit(
                lane,
                wait_s=until - now,
                base_s=self._base,
                max_s=MAX_BACKOFF_S,
                reason=str(value.get("reason", "")),
                error_class=str(value.get("error_class", "")),
                by=self._holder,
            )

    def _save(self) -> None:
        if self._state_file is None:
            return
        data = {lane: asdict(c) for lane, c in self._circuits.items()}
        if self._shared is not None:  # the service circuits live in the ledger
            data = {lane: value for lane, value in data.items() if lane == OFFLINE}
        tmp = self._state_file.with_suffix(".tmp")
        try:
            tmp.write_text(json.dumps(data), encoding="utf-8")
            os.replace(tmp, self._state_file)
        except OSError as exc:
            log.debug("could not save circuit state: %s", exc)


def _circuit_of(row: CircuitRow) -> Circuit:
    return Circuit(
        open_until=row.open_until,
        failures=row.failures,
        reason=row.reason,
        error_class=row.error_class,
        since=row.since,
    )


class CircuitLedger(Protocol):
    def service_circuits(self) -> dict[str, CircuitRow]: ...


def circuit_states(state_file: Path, ledger: CircuitLedger | None) -> dict[str, dict[str, Any]]:
    """What ``status``, ``/metrics`` and the API show: every service's circuit from the ledger
    (one truth for all processes) and this machine's offline circuit from its state file."""
    found: dict[str, dict[str, Any]] = {
        lane: value for lane, value in Circuits.read(state_file).items() if lane == OFFLINE
    }
    if ledger is None:
        return found
    now = time.time()
    for lane, row in ledger.service_circuits().items():
        found[lane] = {
            **asdict(_circuit_of(row)),
            "until_probe": False,
            "opened_by": row.opened_by,
            "open": row.is_open(now),
        }
    return dict(sorted(found.items()))
