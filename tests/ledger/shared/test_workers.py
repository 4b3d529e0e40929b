"""Dispatch through a broker, in the ledger (SQLite and PostgreSQL): a task delivered twice runs
once, a dead worker's job goes to another, a lost message is found again."""

from __future__ import annotations

import threading
import time

from sqlalchemy import update

from spotsyncd.core.models import JobState, Link, LinkKind, Source
from spotsyncd.ledger import Ledger
from spotsyncd.ledger.schema import jobs, workers
from spotsyncd.ledger.shared.workers import QUEUED


def link(n: int) -> Link:
    return Link(f"url:http://127.0.0.1/{n}.mp3", f"http://127.0.0.1/{n}.mp3", Source.GENERIC,
                LinkKind.UNKNOWN)  # fmt: skip


def register(ledger: Ledger, name: str, concurrency: int = 2) -> None:
    ledger.register_worker(name, role="worker", host="h", pid=1, version="t",
                           concurrency=concurrency)  # fmt: skip


def test_a_task_delivered_twice_runs_once(ledger: Ledger) -> None:
    ledger.add_links([link(1)])
    job = ledger.dispatch_next()
    assert job is not None and job.attempts == 1
    taken: list[object] = []

    def take(name: str) -> None:
        taken.append(ledger.take_job(job.job_id, name))

    threads = [threading.Thread(target=take, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(1 for t in taken if t is not None) == 1
    assert ledger.dispatch_next() is None  # nothing else is due


def test_a_dead_workers_job_goes_back_to_dispatch_and_is_taken_again(ledger: Ledger) -> None:
    ledger.add_links([link(1)])
    register(ledger, "alive")
    register(ledger, "dead")
    job = ledger.dispatch_next()
    assert job is not None
    assert ledger.take_job(job.job_id, "dead") is not None
    assert ledger.release_orphans(30) == []  # its heartbeat is fresh
    past = time.time() - 120
    with ledger.engine.begin() as conn:
        conn.execute(update(workers).where(workers.c.name == "dead").values(seen_at=past))
        conn.execute(update(jobs).values(claimed_at=past))
    assert [name for _id, name in ledger.release_orphans(30)] == ["dead"]
    again = ledger.take_job(job.job_id, "alive")
    assert again is not None and again.attempts == 1  # the interrupted attempt is not counted twice
    assert ledger.take_job(job.job_id, "dead") is None
    assert "stopped heart-beating" in ledger.events_for(job.track.id)[-1]["message"]


def test_jobs_dispatched_but_never_taken_are_found_for_resending(ledger: Ledger) -> None:
    ledger.add_links([link(1), link(2)])
    first = ledger.dispatch_next()
    second = ledger.dispatch_next()
    assert first is not None and second is not None
    assert ledger.take_job(second.job_id, "w") is not None
    assert ledger.dispatched_waiting(10) == []  # just sent
    with ledger.engine.begin() as conn:
        conn.execute(update(jobs).values(claimed_at=time.time() - 60))
    assert ledger.dispatched_waiting(10) == [first.job_id]  # the taken one is not resent
    assert ledger.dispatched_waiting(10) == []  # marked as sent again just now


def test_live_workers_and_a_clean_stop(ledger: Ledger) -> None:
    register(ledger, "a", concurrency=3)
    register(ledger, "b")
    ledger.worker_stopped("b")
    assert [(w.name, w.concurrency) for w in ledger.live_workers(60)] == [("a", 3)]
    ledger.heartbeat("a")
    assert ledger.forget_workers(3600) == 0


def test_give_back_only_by_the_worker_that_has_it(ledger: Ledger) -> None:
    ledger.add_links([link(1)])
    job = ledger.dispatch_next()
    assert job is not None and ledger.take_job(job.job_id, "w1") is not None
    assert not ledger.give_back(job.job_id, "w2")
    assert ledger.give_back(job.job_id, "w1")
    row = ledger.track(link(1).key)
    assert row is not None and row.state == JobState.RUNNING
    assert ledger.take_job(job.job_id, "w2") is not None
    assert QUEUED == "queued"
