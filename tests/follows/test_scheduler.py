"""FollowScheduler on a real APScheduler: jobs, first polls, poll now, back-off, shutdown."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from spotsyncd.follows.scheduler import FollowScheduler
from tests.support.waiting import wait_for


@dataclass(frozen=True)
class Follow:
    id: int
    name: str
    key: str
    interval_s: int = 3600


class Recorder:
    """A poll function that records calls; ``block`` holds polls of chosen follows."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, float]] = []
        self.lock = threading.Lock()
        self.block: dict[int, threading.Event] = {}
        self.entered = threading.Event()
        self.retry_in: dict[int, float] = {}  # the poll fails: retry this long after it

    def __call__(self, follow_id: int) -> float | None:
        with self.lock:
            self.calls.append((follow_id, time.monotonic()))
        gate = self.block.get(follow_id)
        if gate is not None:
            self.entered.set()
            gate.wait(10)
        delay = self.retry_in.pop(follow_id, None)
        return None if delay is None else time.time() + delay

    def count(self, follow_id: int) -> int:
        with self.lock:
            return sum(1 for fid, _ in self.calls if fid == follow_id)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def make(recorder: Recorder) -> Iterator[Callable[..., FollowScheduler]]:
    made: list[FollowScheduler] = []

    def build(**kwargs: float) -> FollowScheduler:
        scheduler = FollowScheduler(recorder, **kwargs)  # type: ignore[arg-type]
        made.append(scheduler)
        return scheduler

    yield build
    for gate in recorder.block.values():
        gate.set()
    for scheduler in made:
        scheduler.shutdown()


A, B, C = Follow(1, "a", "k:a"), Follow(2, "b", "k:b"), Follow(3, "c", "k:c", interval_s=600)


def test_one_job_per_follow_with_jitter_coalesce_and_one_instance(
    make: Callable[..., FollowScheduler],
) -> None:
    scheduler = make(first_delay_s=3600)
    scheduler.sync([A, C])

    jobs = {job.name: job for job in scheduler._scheduler.get_jobs()}
    assert set(jobs) == {"a", "c"}
    for follow in (A, C):
        job = jobs[follow.name]
        assert job.trigger.interval.total_seconds() == follow.interval_s
        assert job.trigger.jitter == follow.interval_s * 0.1
        assert job.coalesce is True and job.max_instances == 1
        assert job.misfire_grace_time == follow.interval_s
    runs = scheduler.next_runs()
    assert (runs["c"] - runs["a"]).total_seconds() == pytest.approx(1.0, abs=0.05)  # staggered


def test_first_polls_come_soon_after_start_and_are_staggered(
    make: Callable[..., FollowScheduler], recorder: Recorder
) -> None:
    scheduler = make(first_delay_s=0.05, stagger_s=0.3)
    scheduler.start()
    scheduler.sync([A, B])

    assert wait_for(lambda: recorder.count(1) == 1 and recorder.count(2) == 1, 3.0)
    (first, t1), (second, t2) = recorder.calls
    assert (first, second) == (1, 2) and t2 - t1 >= 0.2
    assert scheduler.alive()


def test_poll_now_runs_the_named_follows_at_once(
    make: Callable[..., FollowScheduler], recorder: Recorder
) -> None:
    scheduler = make(first_delay_s=3600)
    scheduler.sync([A, B, C])
    scheduler.start()
    started = time.monotonic()

    assert scheduler.poll_now(["b", "k:c", "nope"]) == ["b", "c"]

    assert wait_for(lambda: recorder.count(2) == 1 and recorder.count(3) == 1, timeout=1.0)
    assert time.monotonic() - started < 1.0 and recorder.count(1) == 0


def test_sync_adds_removes_and_reschedules(make: Callable[..., FollowScheduler]) -> None:
    scheduler = make(first_delay_s=3600)
    scheduler.sync([A, B])
    scheduler.start()

    scheduler.sync([Follow(1, "renamed", "k:a", interval_s=900), C])

    jobs = {job.id: job for job in scheduler._scheduler.get_jobs()}
    assert set(jobs) == {"1", "3"}
    assert jobs["1"].name == "renamed" and jobs["1"].trigger.interval.total_seconds() == 900
    assert set(scheduler.next_runs()) == {"renamed", "c"}


def test_backoff_brings_the_next_poll_forward(
    make: Callable[..., FollowScheduler], recorder: Recorder
) -> None:
    scheduler = make(first_delay_s=0.01)
    recorder.retry_in[1] = 0.3  # the first poll fails: retry in 0.3 s
    scheduler.sync([A])
    scheduler.start()

    assert wait_for(lambda: recorder.count(1) == 2, 3.0)
    assert recorder.calls[1][1] - recorder.calls[0][1] >= 0.25


def test_a_slow_follow_does_not_delay_the_others(
    make: Callable[..., FollowScheduler], recorder: Recorder
) -> None:
    recorder.block[1] = threading.Event()
    scheduler = make(first_delay_s=0.01, stagger_s=0.05)
    scheduler.sync([A, B])
    scheduler.start()

    assert recorder.entered.wait(2)
    assert wait_for(lambda: recorder.count(2) == 1, 3.0)  # while a is still stuck


def test_a_poll_that_raises_keeps_its_job(make: Callable[..., FollowScheduler]) -> None:
    calls: list[int] = []

    def broken(follow_id: int) -> float | None:
        calls.append(follow_id)
        raise RuntimeError("bug in a poll")

    scheduler = FollowScheduler(broken, first_delay_s=0.01)
    try:
        scheduler.sync([A])
        scheduler.start()
        assert wait_for(lambda: calls == [1], 3.0)
        assert scheduler.alive() and scheduler.poll_now(["a"]) == ["a"]
        assert wait_for(lambda: calls == [1, 1], 3.0)
    finally:
        scheduler.shutdown()


def test_shutdown_is_prompt_while_a_poll_is_blocked(
    make: Callable[..., FollowScheduler], recorder: Recorder
) -> None:
    gate = recorder.block[1] = threading.Event()
    scheduler = make(first_delay_s=0.01)
    scheduler.sync([A])
    scheduler.start()
    assert recorder.entered.wait(2)

    started = time.monotonic()
    scheduler.shutdown()
    elapsed = time.monotonic() - started

    assert elapsed < 1.0
    assert not scheduler.alive()
    gate.set()  # let the stuck poll finish so no thread outlives the test
