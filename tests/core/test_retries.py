"""The retry ladder as a pure function: fast retries, slow retries, then failed; and the
sentence each step ends its message with."""

from __future__ import annotations

import pytest

from spotsyncd.core.models import JobState
from spotsyncd.core.retries import format_delay, next_step

NOW = 1_800_000_000.0


def _step(
    attempts: int, retryable: bool = True, slow: tuple[float, ...] = (900, 3600, 21600, 86400)
):  # type: ignore[no-untyped-def]
    return next_step(
        attempts,
        retryable=retryable,
        max_retries=3,
        backoff_s=1.0,
        slow_retries=slow,
        now=NOW,
        jitter=lambda lo, hi: 1.0,
    )


def test_the_default_ladder() -> None:
    steps = [_step(n) for n in range(1, 9)]
    assert [s.state for s in steps] == [JobState.PENDING] * 3 + [JobState.WAITING] * 4 + [
        JobState.FAILED
    ]
    assert [s.retry_at - NOW for s in steps[:7] if s.retry_at] == [
        1, 2, 4, 900, 3600, 21600, 86400,
    ]  # fmt: skip
    assert steps[0].describe(NOW) == "retrying in 1s (fast retry 1 of 3)"
    assert "slow retry 1 of 4" in steps[3].describe(NOW)
    assert "waiting until" in steps[3].describe(NOW)
    assert steps[7].describe(NOW) == "failed for good after 8 attempts"
    assert steps[7].final and steps[7].retry_at is None


def test_permanent_fails_at_once_and_says_so() -> None:
    step = _step(1, retryable=False)
    assert step.final and step.retry_at is None
    assert step.describe(NOW) == "retrying will not help, so it failed at once"


def test_no_slow_ladder_fails_after_the_fast_retries() -> None:
    assert _step(4, slow=()).final


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.2, "0.2s"),
        (5, "5s"),
        (42, "42s"),
        (900, "15m"),
        (3600, "1h"),
        (21600, "6h"),
        (86400, "24h"),
    ],
)
def test_format_delay(seconds: float, text: str) -> None:
    assert format_delay(seconds) == text
