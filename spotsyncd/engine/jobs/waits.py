"""Why a queued track is not running, in words: what ``spotsyncd get`` shows while it waits.

Read from the track's row (``retry_at``, the error its last deferral left) and the circuits
the daemon or ``get`` itself saved (``circuits.json``): the offline circuit says since when and
when the next check comes; a service's circuit (a YouTube bot check, a rate limit, an expired
Spotify login) until when it stays open.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from spotsyncd.core.retries import format_clock, hhmm
from spotsyncd.engine.resilience.circuits import OFFLINE

# What each kind of open circuit is called (by lane, then by the error that opened it).
_CIRCUIT_NAMES = {
    ("youtube", "bot_check"): "the YouTube bot-check circuit",
    ("youtube", "rate_limited"): "the YouTube rate-limit circuit",
    ("spotify", "rate_limited"): "the Spotify rate-limit circuit",
    ("spotify", "credentials"): "the Spotify login (run 'spotsyncd auth spotify')",
}

Circuits = Mapping[str, Mapping[str, Any]]


def wait_text(error: str | None, retry_at: float | None, circuits: Circuits, now: float) -> str:
    """Why a pending track waits ("" when it is simply next in the queue)."""
    error = error or ""
    later = retry_at is not None and retry_at > now
    offline = circuits.get(OFFLINE)
    if offline and offline.get("open") and (error.startswith("offline") or not later):
        since = hhmm(float(offline.get("since") or now))
        check = format_clock(float(offline.get("open_until") or now), now)
        return f"waiting: offline since {since}, next check {check}"
    if not later:
        return ""
    assert retry_at is not None
    for lane, circuit in circuits.items():
        if lane == OFFLINE or not circuit.get("open"):
            continue
        error_class = str(circuit.get("error_class") or "")
        if error.startswith((f"{lane} circuit", f"{error_class}:")) and error_class:
            name = _CIRCUIT_NAMES.get((lane, error_class), f"the {lane} circuit")
            until = format_clock(max(retry_at, float(circuit.get("open_until") or 0)), now)
            return f"waiting for {name} until {until}"
    if error.startswith("offline"):
        return f"waiting for the network, next check {format_clock(retry_at, now)}"
    return f"waiting: next attempt at {format_clock(retry_at, now)}"
