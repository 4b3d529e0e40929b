"""Service circuits in the ledger (SQLite and PostgreSQL): one state for every process, an event
when one opens or closes, and the queued jobs of its sources held while it is open."""

from __future__ import annotations

import time

import pytest

from spotsyncd.core.models import Link, LinkKind, Source
from spotsyncd.ledger import Ledger


def _open(ledger: Ledger, *, wait_s: float | None = None, by: str = "w1") -> float:
    row = ledger.open_circuit("spotify", wait_s=wait_s, base_s=10, max_s=100, reason="429",
                              error_class="rate_limited", by=by)  # fmt: skip
    return row.open_until


def test_a_retry_after_is_kept_and_backoff_doubles_without_one(ledger: Ledger) -> None:
    now = time.time()
    assert _open(ledger, wait_s=30) == pytest.approx(now + 30, abs=2)
    # A later failure never shortens it; without a Retry-After the back-off doubles.
    assert _open(ledger, by="w2") >= now + 29
    row = ledger.service_circuits()["spotify"]
    assert row.failures == 2 and row.opened_by == "w1"  # who opened it stays


def test_open_and_close_are_one_event_each(ledger: Ledger) -> None:
    before = ledger.last_event_id()
    _open(ledger, wait_s=30)
    _open(ledger, wait_s=30)  # already open: no second event
    # A success of a call that started before it opened proves nothing.
    assert not ledger.close_circuit("spotify", opened_before=time.time() - 60)
    assert ledger.close_circuit("spotify", opened_before=time.time() + 1)
    events = [(e["kind"], e["message"]) for e in ledger.events_after(before)]
    assert [kind for kind, _ in events] == ["circuit_open", "circuit_closed"], events
    assert "spotify" in events[0][1] and "w1" in events[0][1]
    assert ledger.service_circuits() == {}


def test_only_a_login_problem_is_cleared_by_a_new_login(ledger: Ledger) -> None:
    _open(ledger, wait_s=30)
    assert not ledger.close_circuit("spotify", error_class="credentials")
    assert "spotify" in ledger.service_circuits()


def test_queued_jobs_of_its_sources_are_held_until_it_closes(ledger: Ledger) -> None:
    ledger.add_links([
        Link("spotify:track:aaaaaaaaaaaaaaaaaaaaaa", "https://open.spotify.com/track/a",
             Source.SPOTIFY, LinkKind.TRACK),
        Link("url:http://127.0.0.1/a.mp3", "http://127.0.0.1/a.mp3", Source.GENERIC,
             LinkKind.UNKNOWN),
    ])  # fmt: skip
    until = time.time() + 600
    assert ledger.hold_for_circuit(["spotify"], until, "spotify circuit open until later") == 1
    assert ledger.hold_for_circuit(["spotify"], until, "again") == 0  # already held that long
    job = ledger.claim_next_job("w")
    assert job is not None and job.track.key.startswith("url:")  # the other source goes on
    assert ledger.claim_next_job("w") is None
    spotify = ledger.track("spotify:track:aaaaaaaaaaaaaaaaaaaaaa")
    assert spotify is not None and spotify.attempts == 0
    assert ledger.release_held("spotify") == 1
    job = ledger.claim_next_job("w")
    assert job is not None and job.track.key.startswith("spotify:") and job.attempts == 1
