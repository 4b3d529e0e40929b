"""The two gates of the staged pipeline: slots, order, cancellation, a slot handed over."""

from __future__ import annotations

import threading
import time

import pytest

from spotsyncd.core.errors import CancelledError
from spotsyncd.engine.jobs.stages import Gate, Stages, steps_text


def _start(target: object) -> threading.Thread:
    thread = threading.Thread(target=target, daemon=True)  # type: ignore[arg-type]
    thread.start()
    return thread


def test_a_gate_admits_at_most_its_slots_in_the_order_they_asked() -> None:
    gate = Gate(2)
    order: list[int] = []
    inside = threading.Semaphore(0)
    leave = threading.Event()
    peak = [0]

    def job(n: int) -> None:
        with gate.held(None, {}, "wait"):
            order.append(n)
            peak[0] = max(peak[0], gate.busy)
            inside.release()
            leave.wait(5)

    threads = []
    for n in range(5):
        threads.append(_start(lambda n=n: job(n)))
        time.sleep(0.05)  # ask in a known order
    assert inside.acquire(timeout=5) and inside.acquire(timeout=5)
    assert not inside.acquire(timeout=0.3), "a third holder got in"
    leave.set()
    for thread in threads:
        thread.join(5)
    assert order == [0, 1, 2, 3, 4]
    assert peak[0] == 2 and gate.busy == 0


def test_waiting_for_a_slot_ends_with_cancel() -> None:
    gate = Gate(1)
    gate.acquire()
    cancel = threading.Event()
    errors: list[BaseException] = []

    def waiter() -> None:
        try:
            gate.acquire(cancel)
        except CancelledError as exc:
            errors.append(exc)

    thread = _start(waiter)
    time.sleep(0.1)
    started = time.monotonic()
    cancel.set()
    gate.interrupt()
    thread.join(5)
    assert time.monotonic() - started < 0.5
    assert len(errors) == 1 and "resume" in str(errors[0])
    gate.release()
    gate.acquire()  # the cancelled waiter left the queue: the slot is free for the next
    gate.release()


def test_a_slot_taken_beforehand_is_used_and_given_back_by_the_block() -> None:
    gate = Gate(1)
    timings: dict[str, float] = {}
    gate.acquire()
    assert gate.holds()
    with gate.held(None, timings, "io_wait"):
        assert gate.busy == 1
    assert not gate.holds() and gate.busy == 0
    assert "io_wait" not in timings  # no second wait for a slot already held


def test_stages_record_the_waits_and_size_the_pool() -> None:
    stages = Stages(io_slots=2, cpu_slots=3)
    assert stages.threads == 5
    timings: dict[str, float] = {}
    with stages.io(None, timings):
        pass
    with stages.cpu(None, timings):
        pass
    assert set(timings) == {"io_wait", "cpu_wait"}
    assert steps_text({"download": 0.25, "encode": 2.0}) == "download 0.25s, encode 2.00s"


def test_a_gate_needs_a_slot() -> None:
    with pytest.raises(ValueError, match="slot"):
        Gate(0)
