"""A guarded call: with one turn at a time, a 429 opens the circuit before the turn is handed
on, so of many callers (threads here, processes in tests/e2e/test_shared_circuits.py) exactly
one asks; a success closes it; a job of a service whose circuit is open is held in the ledger."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from spotsyncd.core.errors import DeferredError, RateLimitedError
from spotsyncd.core.models import Link, LinkKind, Source
from spotsyncd.engine.resilience.budgets import Limit, SourceBudgets
from spotsyncd.engine.resilience.circuits import Circuits
from spotsyncd.engine.resilience.guard import CircuitHold, Guard
from spotsyncd.ledger import Ledger


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    opened = Ledger(tmp_path / "ledger.sqlite3")
    yield opened
    opened.close()


def _guards(ledger: Ledger, count: int) -> list[Guard]:
    """``count`` processes' worth: each its own circuits (cache) and budgets over one ledger."""

    def limits(source: str) -> Limit:
        return Limit(max_concurrent=1) if source == "spotify" else Limit()

    return [
        Guard(Circuits(shared=ledger, holder=f"p{i}"), SourceBudgets(ledger, limits, f"p{i}"))
        for i in range(count)
    ]


def test_one_429_one_call_however_many_callers(ledger: Ledger) -> None:
    calls: list[float] = []
    outcomes: list[str] = []
    lock = threading.Lock()

    def call_spotify(guard: Guard) -> None:
        try:
            with guard.call("spotify"):
                with lock:
                    calls.append(time.time())
                    first = len(calls) == 1
                time.sleep(0.05)
                if first:
                    raise RateLimitedError("Spotify rate limit", retry_after=30, service="spotify")
        except (RateLimitedError, DeferredError) as exc:
            with lock:
                outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=call_spotify, args=(g,)) for g in _guards(ledger, 6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert len(calls) == 1
    assert sorted(outcomes) == ["DeferredError"] * 5 + ["RateLimitedError"]
    assert ledger.service_circuits()["spotify"].open_until > time.time() + 25


def test_a_success_closes_and_other_lanes_have_no_circuit(ledger: Ledger) -> None:
    (guard,) = _guards(ledger, 1)
    guard.circuits.record_failure("youtube", RateLimitedError("slow down", retry_after=0.01))
    time.sleep(0.05)
    with guard.call("youtube"):
        pass
    assert ledger.service_circuits() == {}
    with pytest.raises(RateLimitedError), guard.call("generic"):
        raise RateLimitedError("a small host's 429")
    assert ledger.service_circuits() == {}  # an ordinary host's limit is the job's alone


def test_jobs_of_an_open_service_stay_queued_others_go(ledger: Ledger) -> None:
    ledger.add_links([
        Link("spotify:track:aaaaaaaaaaaaaaaaaaaaaa", "https://open.spotify.com/track/a",
             Source.SPOTIFY, LinkKind.TRACK),
        Link("youtube:bbbbbbbbbbb", "https://youtu.be/bbbbbbbbbbb", Source.YOUTUBE,
             LinkKind.TRACK),
        Link("url:http://127.0.0.1/a.mp3", "http://127.0.0.1/a.mp3", Source.GENERIC,
             LinkKind.UNKNOWN),
    ])  # fmt: skip
    circuits = Circuits(shared=ledger)
    circuits.record_failure("spotify", RateLimitedError("429", retry_after=600))
    CircuitHold(circuits, ledger).hold()
    taken = [ledger.claim_next_job("w"), ledger.claim_next_job("w"), ledger.claim_next_job("w")]
    keys = sorted(job.track.key for job in taken if job is not None)
    assert keys == ["url:http://127.0.0.1/a.mp3", "youtube:bbbbbbbbbbb"]
    held = ledger.track("spotify:track:aaaaaaaaaaaaaaaaaaaaaa")
    assert held is not None and held.error and held.error.startswith("spotify circuit open")
