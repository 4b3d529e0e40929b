"""Circuit breakers per outside service ("youtube", "spotify"), and the "offline" one.

A bot check or a rate limit opens the service's circuit: jobs that need it are deferred until it
closes, with a back-off that doubles on each consecutive failure, while other sources keep
working. The first success closes it. The ``offline`` circuit is open while the machine has no
network: no job is taken until a probe gets through. The state is mirrored into a small JSON
file so that ``spotsyncd status`` (another process) can show it.

This module keeps the state and nothing more: whether the machine is offline is the offline
watch's call (``offline.py``), which opens and closes the ``offline`` circuit here; the worker
that cannot reach a host asks the watch, not the circuits. So the watch knows the circuits and
the circuits know no watch.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from spotsyncd.core.errors import BotCheckError, CredentialsError, DeferredError, RateLimitedError

log = logging.getLogger(__name__)

BASE_BACKOFF_S = 300.0
MAX_BACKOFF_S = 6 * 3600.0
OFFLINE = "offline"


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
        base_backoff_s: float = BASE_BACKOFF_S,
        on_change: Callable[[str, bool, str], None] | None = None,
    ):
        # on_change(lane, is_open, reason): told after a circuit opens or closes (event log).
        self._on_change = on_change
        self._lock = threading.Lock()
        self._circuits: dict[str, Circuit] = {}
        self._state_file = state_file
        self._base = base_backoff_s
        self._load()

    def check(self, lane: str) -> None:
        """Raise DeferredError while ``lane``'s circuit is open."""
        now = time.time()
        with self._lock:
            circuit = self._circuits.get(lane)
            if circuit is not None and circuit.is_open(now):
                until = time.strftime("%H:%M:%S", time.localtime(circuit.open_until))
                raise DeferredError(
                    f"{lane} circuit open until {until}: {circuit.reason}",
                    circuit.open_until,
                )

    def record_failure(self, lane: str, exc: BaseException) -> float | None:
        """Open ``lane``'s circuit for a bot check or rate limit. Returns when it closes."""
        if not isinstance(exc, BotCheckError | RateLimitedError | CredentialsError):
            return None
        now = time.time()
        with self._lock:
            circuit = self._circuits.setdefault(lane, Circuit())
            circuit.failures += 1
            wait = min(self._base * 2 ** (circuit.failures - 1), MAX_BACKOFF_S)
            retry_after = getattr(exc, "retry_after", None)
            if retry_after:
                wait = float(retry_after)
            circuit.open_until = max(circuit.open_until, now + wait)
            circuit.reason = str(exc)[:300]
            circuit.error_class = getattr(exc, "error_class", "")
            until = circuit.open_until
            self._save()
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

    def record_success(self, lane: str) -> None:
        with self._lock:
            circuit = self._circuits.get(lane)
            if circuit is None or (circuit.failures == 0 and not circuit.open_until):
                return
            self._circuits.pop(lane)
            self._save()
        log.info("%s circuit closed: a request succeeded", lane)
        self._changed(lane, False, "closed: a request succeeded")

    def clear_credentials(self, lane: str) -> None:
        """The user may have fixed the login: let the next job try again."""
        with self._lock:
            circuit = self._circuits.get(lane)
            if circuit is None or circuit.error_class != "credentials":
                return
            self._circuits.pop(lane)
            self._save()
        log.info("%s circuit closed: trying the new credentials", lane)
        self._changed(lane, False, "closed: trying the new credentials")

    def _changed(self, lane: str, is_open: bool, reason: str) -> None:
        if self._on_change is None:
            return
        try:
            self._on_change(lane, is_open, reason[:300])
        except Exception:  # noqa: BLE001 - recording the change must not break the job
            log.debug("circuit change not recorded", exc_info=True)

    def snapshot(self) -> dict[str, dict[str, object]]:
        now = time.time()
        with self._lock:
            return {
                lane: {**asdict(c), "open": c.is_open(now)} for lane, c in self._circuits.items()
            }

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
        if OFFLINE in saved:
            self._save()  # a new start looks at the network afresh
        for lane, value in saved.items():
            if lane == OFFLINE:
                continue
            self._circuits[lane] = Circuit(
                open_until=float(value.get("open_until", 0)),  # type: ignore[arg-type]
                failures=int(value.get("failures", 0)),  # type: ignore[call-overload]
                reason=str(value.get("reason", "")),
                error_class=str(value.get("error_class", "")),
            )

    def _save(self) -> None:
        if self._state_file is None:
            return
        data = {lane: asdict(c) for lane, c in self._circuits.items()}
        tmp = self._state_file.with_suffix(".tmp")
        try:
            tmp.write_text(json.dumps(data), encoding="utf-8")
            os.replace(tmp, self._state_file)
        except OSError as exc:
            log.debug("could not save circuit state: %s", exc)
