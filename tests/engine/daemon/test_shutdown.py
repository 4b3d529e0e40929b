"""The stop's one deadline: parts share it, and a slow stop names its slow parts."""

from __future__ import annotations

import logging

import pytest

from spotsyncd.engine.daemon.shutdown import StopClock


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_each_part_waits_only_what_is_left_of_the_one_deadline() -> None:
    now = FakeClock()
    clock = StopClock(8.0, clock=now)
    assert clock.left(7.0) == 7.0  # its own cap while there is time
    with clock.part("jobs"):
        now.now += 6.5
    assert clock.left(7.0) == pytest.approx(1.5)  # not another 7 s: 6.5 are gone
    now.now += 5
    assert clock.left(3.0) == 0.1  # past the deadline: a last quick look, never a negative wait


def test_a_slow_stop_names_the_parts_that_took_the_time(caplog: pytest.LogCaptureFixture) -> None:
    now = FakeClock()
    clock = StopClock(8.0, clock=now)
    with clock.part("jobs"):
        now.now += 4.0
    with clock.part("ledger"):
        now.now += 0.1
    with caplog.at_level(logging.INFO):
        clock.report(logging.getLogger("test"))
    assert caplog.messages == ["stopped in 4.1s (slowest: jobs 4.0s)"]


def test_a_quick_stop_is_one_short_line(caplog: pytest.LogCaptureFixture) -> None:
    now = FakeClock()
    clock = StopClock(8.0, clock=now)
    with clock.part("jobs"):
        now.now += 0.7
    with caplog.at_level(logging.INFO):
        clock.report(logging.getLogger("test"))
    assert caplog.messages == ["stopped in 0.7s"]
