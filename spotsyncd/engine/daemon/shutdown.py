"""One deadline for the whole stop, shared by its parts, and a record of where it went.

A stop is promised within 10 s (``docker stop`` sends SIGKILL after 10 s; our systemd units
after 15): each part waits at most what is left of ``STOP_WITHIN_S``, so parts that each
keep their own timeout can no longer add up past it on a busy machine. The last log line says
how long the stop took and, when it was slow, which parts took the time."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

STOP_WITHIN_S = 8.0  # leaves the interpreter's own exit ~2 s of the 10 s promised
SLOW_STOP_S = 3.0  # a stop slower than this names its slow parts in the log
SLOW_PART_S = 0.5


class StopClock:
    """``with clock.part("workers"): ...`` times a part; ``clock.left(cap)`` is what a part
    may still wait, never more than ``cap`` and never less than ``floor``."""

    def __init__(
        self, within_s: float = STOP_WITHIN_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._clock = clock
        self.started = clock()
        self.deadline = self.started + within_s
        self.parts: dict[str, float] = {}

    def left(self, cap: float, floor: float = 0.1) -> float:
        return max(floor, min(cap, self.deadline - self._clock()))

    @contextmanager
    def part(self, name: str) -> Iterator[None]:
        began = self._clock()
        try:
            yield
        finally:
            self.parts[name] = self.parts.get(name, 0.0) + self._clock() - began

    def elapsed(self) -> float:
        return self._clock() - self.started

    def report(self, log: logging.Logger) -> None:
        took = self.elapsed()
        slow = [f"{name} {s:.1f}s" for name, s in self.parts.items() if s >= SLOW_PART_S]
        if took >= SLOW_STOP_S and slow:
            log.info("stopped in %.1fs (slowest: %s)", took, ", ".join(slow))
        else:
            log.info("stopped in %.1fs", took)
