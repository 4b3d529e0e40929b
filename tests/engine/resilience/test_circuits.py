"""Circuits shared through the ledger: what one process meets, every other one knows (through a
short cache, or at once when asked fresh); offline stays this machine's."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from spotsyncd.core.errors import BotCheckError, DeferredError, RateLimitedError
from spotsyncd.engine.resilience import circuits as circuits_module
from spotsyncd.engine.resilience.circuits import Circuits, circuit_states
from spotsyncd.ledger import Ledger


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    opened = Ledger(tmp_path / "ledger.sqlite3")
    yield opened
    opened.close()


def test_a_429_seen_by_one_process_stops_the_others(
    tmp_path: Path, ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(circuits_module, "CACHE_S", 0.2)
    worker_a = Circuits(tmp_path / "a.json", shared=ledger, holder="worker-a")
    worker_b = Circuits(tmp_path / "b.json", shared=ledger, holder="worker-b")
    worker_b.check("spotify")  # closed, and now cached as closed
    until = worker_a.record_failure("spotify", RateLimitedError("429", retry_after=30))
    assert until == pytest.approx(time.time() + 30, abs=2)
    with pytest.raises(DeferredError) as raised:
        worker_b.check("spotify", fresh=True)  # inside a turn: read from the ledger now
    assert raised.value.until == until
    time.sleep(0.25)
    with pytest.raises(DeferredError):
        worker_b.check("spotify")  # the cache has caught up
    worker_b.check("youtube")  # other services go on
    shown = circuit_states(tmp_path / "b.json", ledger)["spotify"]
    assert shown["open"] and shown["opened_by"] == "worker-a"


def test_the_same_failure_counts_once(ledger: Ledger) -> None:
    circuits = Circuits(shared=ledger)
    exc = BotCheckError("Sign in to confirm you're not a bot")
    first = circuits.record_failure("youtube", exc)
    assert circuits.record_failure("youtube", exc) == first  # the guard, then the worker
    assert ledger.service_circuits()["youtube"].failures == 1


def test_a_success_started_before_it_opened_does_not_close_it(ledger: Ledger) -> None:
    one, other = Circuits(shared=ledger), Circuits(shared=ledger)
    started = time.time()
    time.sleep(0.01)
    one.record_failure("youtube", BotCheckError("bot"))
    other.record_success("youtube", started)  # a long download that began before: no proof
    assert "youtube" in ledger.service_circuits()
    other.record_success("youtube", time.time())
    assert ledger.service_circuits() == {}


def test_a_restart_keeps_an_open_circuit_and_drops_offline(tmp_path: Path, ledger: Ledger) -> None:
    state = tmp_path / "circuits.json"
    circuits = Circuits(state, shared=ledger)
    circuits.record_failure("spotify", RateLimitedError("429", retry_after=3600))
    circuits.open_offline("offline since 10:00: no network", time.time() + 60, since=time.time())
    again = Circuits(state, shared=ledger)
    with pytest.raises(DeferredError):
        again.check("spotify")
    assert again.offline_circuit() is None  # this machine looks at its network afresh
    assert set(circuit_states(state, ledger)) == {"spotify"}


def test_an_open_circuit_from_before_the_ledger_kept_them_moves_in(
    tmp_path: Path, ledger: Ledger
) -> None:
    state = tmp_path / "circuits.json"
    Circuits(state).record_failure("spotify", RateLimitedError("429", retry_after=600))
    upgraded = Circuits(state, shared=ledger)
    with pytest.raises(DeferredError):
        upgraded.check("spotify")
    assert ledger.service_circuits()["spotify"].open_until > time.time() + 500
    assert "spotify" not in Circuits.read(state)  # the file keeps this machine's offline only
