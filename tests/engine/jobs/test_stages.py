"""The two gates of the staged pipeline: slots, order, cancellation, a slot handed over, and
the waits and steps timed on a clock the test moves (exact durations, no wall-clock windows)."""

from __future__ import annotations

import functools
import threading

import pytest

from spotsyncd.core.errors import CancelledError
from spotsyncd.engine.jobs.stages import Gate, Stages, steps_text, timed
from tests.support.clock import FakeClock
from tests.support.waiting import wait_for

HOUR = 3600.0


def _start(target: object) -> threading.Thread:
    thread = threading.Thread(target=target, daemon=True)  # type: ignore[arg-type]
    thread.start()
    return thread


def _asked(gate: Gate, jobs: int) -> bool:
    return gate.busy + gate.waiting == jobs


def test_a_gate_admits_at_most_its_slots_in_the_order_they_asked() -> None:
    gate = Gate(2)
    order: list[int] = []
    leave = threading.Event()
    peak = [0]

    def job(n: int) -> None:
        with gate.held(None, {}, "wait"):
            order.append(n)
            peak[0] = max(peak[0], gate.busy)
            leave.wait(5)

    threads = []
    for n in range(5):
        threads.append(_start(lambda n=n: job(n)))
        # a known order: each job is inside or in line before the next one asks
        wait_for(functools.partial(_asked, gate, n + 1), what=f"job {n} to ask")
    wait_for(lambda: len(order) == 2, what="the first two jobs inside")
    assert gate.waiting == 3 and order == [0, 1], "a third holder got in"
    leave.set()
    for thread in threads:
        thread.join(5)
    assert order == [0, 1, 2, 3, 4]
    assert peak[0] == 2 and gate.busy == 0


def test_waiting_for_a_slot_ends_with_cancel_as_soon_as_interrupted() -> None:
    # A waiter would look at ``cancel`` only after an hour by itself: only interrupt() wakes it.
    gate = Gate(1, poll_s=HOUR)
    gate.acquire()
    cancel = threading.Event()
    errors: list[BaseException] = []

    def waiter() -> None:
        try:
            gate.acquire(cancel)
        except CancelledError as exc:
            errors.append(exc)

    thread = _start(waiter)
    wait_for(lambda: gate.waiting == 1, what="the waiter in line")
    cancel.set()
    gate.interrupt()
    thread.join(10)
    assert not thread.is_alive(), "interrupt() did not wake the waiter"
    assert len(errors) == 1 and "resume" in str(errors[0])
    assert gate.waiting == 0  # the cancelled waiter left the queue: the slot is free for the next
    gate.release()
    gate.acquire()
    gate.release()


def test_a_waiter_notices_cancel_by_itself_every_poll() -> None:
    gate = Gate(1, poll_s=0.02)
    gate.acquire()
    cancel = threading.Event()
    errors: list[BaseException] = []

    def waiter() -> None:
        try:
            gate.acquire(cancel)
        except CancelledError as exc:
            errors.append(exc)

    thread = _start(waiter)
    wait_for(lambda: gate.waiting == 1, what="the waiter in line")
    cancel.set()  # no interrupt(): the waiter finds it at its next look
    thread.join(10)
    assert not thread.is_alive() and len(errors) == 1 and gate.waiting == 0
    gate.release()


def test_the_wait_for_a_slot_is_timed_on_the_clock() -> None:
    clock = FakeClock()
    gate = Gate(1, clock=clock)
    timings: dict[str, float] = {}
    gate.acquire()

    def job() -> None:
        with gate.held(None, timings, "cpu_wait"):
            pass

    thread = _start(job)
    wait_for(lambda: gate.waiting == 1, what="the job in line")
    clock.advance(2.5)  # the slot is busy for 2.5 s of the job's wait
    gate.release()
    thread.join(5)
    assert timings == {"cpu_wait": 2.5}
    with gate.held(None, timings, "cpu_wait"):
        clock.advance(9.0)  # holding a slot is not waiting for one
    assert timings == {"cpu_wait": 2.5}


def test_timed_adds_each_blocks_seconds_to_its_step() -> None:
    clock = FakeClock()
    timings: dict[str, float] = {}
    with timed(timings, "download", clock):
        clock.advance(0.25)
    with timed(timings, "encode", clock):
        clock.advance(2.0)
    with timed(timings, "download", clock):
        clock.advance(0.5)
    assert timings == {"download": 0.75, "encode": 2.0}
    assert steps_text(timings) == "download 0.75s, encode 2.00s"


def test_a_slot_taken_beforehand_is_used_and_given_back_by_the_block() -> None:
    gate = Gate(1)
    timings: dict[str, float] = {}
    gate.acquire()
    assert gate.holds()
    with gate.held(None, timings, "io_wait"):
        assert gate.busy == 1
    assert not gate.holds() and gate.busy == 0
    assert "io_wait" not in timings  # no second wait for a slot already held


def test_stages_record_the_waits_on_their_clock_and_size_the_pool() -> None:
    clock = FakeClock()
    stages = Stages(io_slots=2, cpu_slots=3, clock=clock)
    assert stages.threads == 5
    timings: dict[str, float] = {}
    with stages.io(None, timings):
        clock.advance(1.0)
    with stages.cpu(None, timings):
        pass
    assert timings == {"io_wait": 0.0, "cpu_wait": 0.0}  # free slots: no wait at all
    assert steps_text({}) == "no steps"


def test_a_gate_needs_a_slot() -> None:
    with pytest.raises(ValueError, match="slot"):
        Gate(0)
