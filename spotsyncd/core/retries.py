"""The retry ladder: what happens to a job after a failed attempt (pure, no I/O).

A transient failure is retried fast first (``download.max_retries`` retries, ``backoff_seconds``
doubling: 1 s, 2 s, 4 s, with jitter), then slowly (``download.slow_retries``: 15 min, 1 h,
6 h, 24 h by default) in the ``waiting`` state, and only then fails for good. A permanent
failure fails at once. Every step comes with a sentence that says truthfully what comes next.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from spotsyncd.core.models import JobState

DEFAULT_SLOW_RETRIES: tuple[float, ...] = (15 * 60.0, 3600.0, 6 * 3600.0, 24 * 3600.0)


@dataclass(frozen=True)
class NextStep:
    """After attempt number ``attempts`` failed: the job's new state and when it runs again."""

    state: JobState  # PENDING (fast retry), WAITING (slow retry) or FAILED
    retry_at: float | None
    attempts: int
    retryable: bool
    step: int = 0  # which fast or slow retry this is (1-based); 0 when failed
    steps: int = 0  # how many fast or slow retries there are in all

    @property
    def final(self) -> bool:
        return self.state == JobState.FAILED

    def describe(self, now: float | None = None) -> str:
        """What happens next, in words: ends every failure message."""
        now = time.time() if now is None else now
        if self.state == JobState.PENDING and self.retry_at is not None:
            return (
                f"retrying in {format_delay(self.retry_at - now)} "
                f"(fast retry {self.step} of {self.steps})"
            )
        if self.state == JobState.WAITING and self.retry_at is not None:
            return (
                f"fast retries spent; waiting until {format_clock(self.retry_at, now)} "
                f"(slow retry {self.step} of {self.steps})"
            )
        if not self.retryable:
            return "retrying will not help, so it failed at once"
        return f"failed for good after {self.attempts} attempts"


def next_step(
    attempts: int,
    *,
    retryable: bool,
    max_retries: int,
    backoff_s: float,
    slow_retries: Sequence[float] = (),
    now: float | None = None,
    jitter: Callable[[float, float], float] = random.uniform,
) -> NextStep:
    """The step after attempt ``attempts`` (1-based) failed.

    Attempts 1..``max_retries`` are followed by a fast retry after ``backoff_s * 2**(n-1)``
    seconds (+0-25 % jitter); the next ``len(slow_retries)`` attempts by a slow retry after the
    matching ladder entry; after that the job has failed for good.
    """
    now = time.time() if now is None else now
    attempts = max(1, attempts)
    if not retryable:
        return NextStep(JobState.FAILED, None, attempts, False)
    if attempts <= max_retries:
        delay = backoff_s * (2 ** (attempts - 1)) * jitter(1.0, 1.25)
        return NextStep(JobState.PENDING, now + delay, attempts, True, attempts, max_retries)
    slow_index = attempts - max_retries - 1
    if slow_index < len(slow_retries):
        delay = float(slow_retries[slow_index])
        return NextStep(
            JobState.WAITING, now + delay, attempts, True, slow_index + 1, len(slow_retries)
        )
    return NextStep(JobState.FAILED, None, attempts, True)


def format_delay(seconds: float) -> str:
    """``0.2s``, ``7s``, ``15m``, ``6h``, ``2d``: short and rounded, for messages."""
    seconds = max(0.0, seconds)
    if seconds < 10:  # fast retries: 0.2s, 1s, 4.5s
        return f"{seconds:.1f}".rstrip("0").rstrip(".") + "s"
    if seconds < 90:
        return f"{seconds:.0f}s"
    if seconds < 3600:
        return f"{seconds / 60:.0f}m"
    if seconds < 36 * 3600:
        return f"{seconds / 3600:.0f}h"
    return f"{seconds / 86400:.0f}d"


def hhmm(when: float) -> str:
    """``14:05``, local time: how "offline since" is told everywhere."""
    return time.strftime("%H:%M", time.localtime(when))


def format_clock(when: float, now: float | None = None) -> str:
    """``14:05`` today (``14:05:30`` when that is within two minutes), or ``2026-12-01 14:05``
    on another day (local time)."""
    now = time.time() if now is None else now
    same_day = time.localtime(when)[:3] == time.localtime(now)[:3]
    clock = "%H:%M:%S" if abs(when - now) < 120 else "%H:%M"  # short ladders (tests) need seconds
    return time.strftime(clock if same_day else "%Y-%m-%d %H:%M", time.localtime(when))
