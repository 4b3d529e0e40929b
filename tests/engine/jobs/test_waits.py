"""Why a queued track waits, in words, and the tracker that turns a long wait into "deferred":
offline (since, next check), a service's circuit (until), a plain retry."""

from __future__ import annotations

import time
from pathlib import Path

from spotsyncd.core.errors import BotCheckError
from spotsyncd.engine.jobs.oneshot import Tracker
from spotsyncd.engine.jobs.waits import wait_text
from spotsyncd.engine.resilience.circuits import Circuits
from spotsyncd.intake.links import parse_line
from spotsyncd.ledger import Ledger

NOW = time.mktime((2026, 12, 5, 11, 30, 0, 0, 0, -1))


def _clock(when: float) -> str:
    return time.strftime("%H:%M", time.localtime(when))


def test_offline_says_since_when_and_the_next_check() -> None:
    since, probe = NOW - 11 * 60, NOW + 6 * 60
    circuits = {"offline": {"open": True, "since": since, "open_until": probe}}
    text = wait_text("offline: cannot reach x", probe, circuits, NOW)
    assert text == f"waiting: offline since {_clock(since)}, next check {_clock(probe)}"
    # A track not yet tried waits for the same reason while the circuit is open.
    assert wait_text(None, None, circuits, NOW).startswith("waiting: offline since")


def test_a_bot_check_circuit_is_named_with_its_end() -> None:
    until = NOW + 15 * 60
    circuits = {"youtube": {"open": True, "open_until": until, "error_class": "bot_check"}}
    text = wait_text("bot_check: Sign in to confirm", until, circuits, NOW)
    assert text == f"waiting for the YouTube bot-check circuit until {_clock(until)}"
    deferred = f"youtube circuit open until {_clock(until)}: bot check"
    assert wait_text(deferred, until, circuits, NOW).startswith("waiting for the YouTube bot-check")


def test_nothing_to_say_for_a_track_next_in_the_queue() -> None:
    assert wait_text(None, None, {}, NOW) == ""
    assert wait_text("HTTP 503", NOW + 4, {}, NOW).startswith("waiting: next attempt at")


def _waiting_track(tmp_path: Path) -> tuple[Ledger, int, object]:
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    (added,) = ledger.add_links([parse_line("https://www.youtube.com/watch?v=dQw4w9WgXcQ")])
    job = ledger.claim_next_job("w1")
    assert job is not None
    return ledger, added.track_id, job


def test_a_circuit_open_beyond_the_limit_defers_at_once(tmp_path: Path) -> None:
    ledger, track_id, job = _waiting_track(tmp_path)
    circuits_file = tmp_path / "circuits.json"
    try:
        # Opened by another process: the service circuits live in the ledger every process shares
        other = Circuits(tmp_path / "elsewhere.json", shared=ledger, holder="daemon:elsewhere:1")
        until = other.record_failure("youtube", BotCheckError("Sign in"))
        assert until is not None  # open for 5 minutes
        ledger.defer_job(job.job_id, track_id, until, "bot_check: Sign in")  # type: ignore[attr-defined]
        now = time.time()
        patient = Tracker(
            ledger, [track_id], tmp_path, circuits_file=circuits_file, defer_after_s=600
        )
        (item,) = patient.poll(now).tracks
        assert item.state == "pending"
        assert item.waiting.startswith("waiting for the YouTube bot-check circuit until ")
        hasty = Tracker(
            ledger, [track_id], tmp_path, circuits_file=circuits_file, defer_after_s=120
        )
        (item,) = hasty.poll(now).tracks
        assert item.state == "deferred" and item.finished and "bot-check" in item.waiting
    finally:
        ledger.close()


def test_offline_defers_once_the_track_waited_past_the_limit(tmp_path: Path) -> None:
    """Offline gives no date (the next probe may find the network), so the limit runs from
    when ``get`` saw the track start waiting."""
    ledger, track_id, job = _waiting_track(tmp_path)
    circuits_file = tmp_path / "circuits.json"
    try:
        now = time.time()
        Circuits(circuits_file).open_offline("offline since now: no network", now + 30, now)
        ledger.defer_job(job.job_id, track_id, now + 30, "offline: cannot reach x")  # type: ignore[attr-defined]
        tracker = Tracker(
            ledger, [track_id], tmp_path, circuits_file=circuits_file, defer_after_s=60
        )
        (item,) = tracker.poll(now).tracks
        assert item.state == "pending" and item.waiting.startswith("waiting: offline since")
        (item,) = tracker.poll(now + 59).tracks
        assert item.state == "pending"
        (item,) = tracker.poll(now + 61).tracks
        assert item.state == "deferred" and item.waiting.startswith("waiting: offline since")
    finally:
        ledger.close()
