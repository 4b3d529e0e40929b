"""A remote worker whose own machine is offline pauses itself (it takes no job; what it is sent
stays dispatched for the others) and says so in its heartbeat, which ``status`` and ``doctor``
show; back online, it takes jobs again."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from spotsyncd.core.config import Config, load_config
from spotsyncd.core.models import Link, LinkKind, Source
from spotsyncd.engine.health.doctor_scale import _workers
from spotsyncd.engine.health.status import workers_status
from spotsyncd.engine.resilience.circuits import Circuit
from spotsyncd.engine.scaleout.remote import RemoteWorker
from spotsyncd.ledger import ClaimedJob, Ledger
from tests.support.waiting import wait_for


class _Pool:
    def __init__(self) -> None:
        self.ran: list[int] = []
        self.cancel = threading.Event()

    def run_claimed(self, name: str, job: ClaimedJob) -> None:
        self.ran.append(job.job_id)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Config, Ledger]]:
    config = load_config(None, env={
        "XDG_CONFIG_HOME": str(tmp_path), "SPOTSYNCD_STATE_DIR": str(tmp_path / "state"),
        "SPOTSYNCD_QUEUE_BACKEND": "celery", "SPOTSYNCD_QUEUE_WORKER_TIMEOUT": "5s",
    })  # fmt: skip
    ledger = Ledger(config.ledger_target)
    yield config, ledger
    ledger.close()


@pytest.mark.e2e  # it waits for real heartbeats (one a second)
def test_an_offline_worker_pauses_and_says_so(world: tuple[Config, Ledger]) -> None:
    config, ledger = world
    ledger.add_links([Link("url:http://127.0.0.1/a.mp3", "http://127.0.0.1/a.mp3",
                           Source.GENERIC, LinkKind.UNKNOWN)])  # fmt: skip
    job = ledger.dispatch_next()
    assert job is not None
    offline: list[Circuit] = [Circuit(reason="offline since 10:00: no network", until_probe=True)]
    pool = _Pool()
    remote = RemoteWorker(config, ledger, pool, "box:1:ab",  # type: ignore[arg-type]
                          offline=lambda: offline[0] if offline else None)  # fmt: skip
    remote.start(concurrency=2)
    try:
        assert remote.handle(job.job_id) == "skipped: this machine is offline"
        assert pool.ran == []
        assert ledger.running()[0].key == "url:http://127.0.0.1/a.mp3"  # still dispatched
        wait_for(lambda: workers_status(config, ledger)[0]["state"] == "offline", 10)
        (shown,) = workers_status(config, ledger)
        assert shown["name"] == "box:1:ab" and "no network" in shown["reason"]
        checks = {c.name: c for c in _workers(config)}
        assert checks["worker box:1:ab"].status == "warn"
        assert "no network" in checks["worker box:1:ab"].detail
        offline.clear()  # the network is back
        assert remote.handle(job.job_id) == "ran" and pool.ran == [job.job_id]
        wait_for(lambda: workers_status(config, ledger)[0]["state"] == "ok", 10)
    finally:
        remote.stop()
    assert workers_status(config, ledger)[0]["state"] == "stopped"
