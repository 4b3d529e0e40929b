"""The shared wait: it returns what the condition gave, and a failure says what was awaited."""

from __future__ import annotations

import itertools

import pytest

from tests.support.waiting import describe, wait_for


def test_it_returns_the_first_true_value() -> None:
    calls = itertools.count()
    assert wait_for(lambda: next(calls) >= 3 and "ready", 5, interval=0.001) == "ready"


def test_a_timeout_names_the_condition_the_last_value_and_the_details() -> None:
    done: list[int] = []
    with pytest.raises(AssertionError) as failure:
        wait_for(lambda: len(done) == 3, 0.05, interval=0.01, details=lambda: "log: nothing yet")
    message = str(failure.value)
    assert message.startswith("timed out after 0.05s while waiting for lambda: len(done) == 3")
    assert "(last value: False)" in message and message.endswith("\nlog: nothing yet")


def test_what_replaces_the_source_and_give_up_ends_the_wait_early() -> None:
    looks = itertools.count()
    with pytest.raises(AssertionError, match=r"^daemon exited \(1\) while waiting for 3 done"):
        wait_for(
            lambda: next(looks) > 1000,
            3600,
            what="3 done",
            give_up=lambda: "daemon exited (1)",
        )
    assert next(looks) == 1  # looked once, then gave up: not an hour of polling


def test_describe_names_a_function() -> None:
    def port_is_open() -> bool:
        return False

    assert describe(port_is_open).endswith("port_is_open")


def test_a_lambda_over_several_lines_is_described_whole() -> None:
    done: list[int] = []
    with pytest.raises(AssertionError) as failure:
        wait_for(lambda: len(done) == 3
                 and done[0] == 1, 0.01)  # fmt: skip
    assert "waiting for lambda: len(done) == 3 and done[0] == 1 (last" in str(failure.value)
