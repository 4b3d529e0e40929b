"""Two gates that split a job's steps by what they wait on: the network or a core.

A job first takes an I/O slot (listing, matching, downloading, fetching the cover), then a CPU
slot (probe, analysis, encode, tag, file). The worker pool runs one thread per slot of either
kind, so while every core encodes, the I/O slots already download the next jobs: a core that
frees up finds its next file on disk instead of waiting for yt-dlp and the network.

CPU slots are granted in the order jobs ask for them (first downloaded, first processed).
Waiting for a slot gives up with CancelledError as soon as ``cancel`` is set. Durations are read
from a ``clock`` (``time.monotonic`` unless a test hands in one it moves itself). Without stages
(``Pipeline.run(..., stages=None)``) a job runs whole, at once, e.g. in a remote worker.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext

from spotsyncd.core.errors import CancelledError

_POLL_S = 1.0  # a waiter looks at ``cancel`` at least this often (``interrupt`` wakes it)

Clock = Callable[[], float]


class Gate:
    """At most ``slots`` holders at a time, granted first come, first served. A slot belongs
    to the thread that took it; ``held`` inside a thread that already holds one uses that slot
    (and gives it back at the end of the block)."""

    def __init__(
        self, slots: int, *, clock: Clock = time.monotonic, poll_s: float = _POLL_S
    ) -> None:
        if slots < 1:
            raise ValueError("a gate needs at least one slot")
        self.slots = slots
        self._clock = clock
        self._poll_s = poll_s
        self._free = slots
        self._queue: deque[object] = deque()
        self._cond = threading.Condition()
        self._owner = threading.local()

    def holds(self) -> bool:
        """Whether the calling thread holds a slot."""
        return bool(getattr(self._owner, "held", False))

    def acquire(self, cancel: threading.Event | None = None) -> None:
        ticket = object()
        with self._cond:
            self._queue.append(ticket)
            try:
                while self._queue[0] is not ticket or self._free == 0:
                    if cancel is not None and cancel.is_set():
                        raise CancelledError("stopping: the job will resume at next start")
                    self._cond.wait(self._poll_s)
            except BaseException:
                self._queue.remove(ticket)
                self._cond.notify_all()
                raise
            self._queue.popleft()
            self._free -= 1
            self._owner.held = True
            self._cond.notify_all()  # the next in line may find a slot free as well

    def release(self) -> None:
        with self._cond:
            self._free += 1
            self._owner.held = False
            self._cond.notify_all()

    def interrupt(self) -> None:
        """Wake every waiter now, to look at its ``cancel`` event."""
        with self._cond:
            self._cond.notify_all()

    @property
    def busy(self) -> int:
        with self._cond:
            return self.slots - self._free

    @property
    def waiting(self) -> int:
        """Threads in line for a slot."""
        with self._cond:
            return len(self._queue)

    @contextmanager
    def held(
        self, cancel: threading.Event | None, timings: dict[str, float], wait_name: str
    ) -> Iterator[None]:
        """Hold a slot for the ``with`` block; the wait for it is added to ``timings``."""
        if not self.holds():
            started = self._clock()
            self.acquire(cancel)
            timings[wait_name] = timings.get(wait_name, 0.0) + self._clock() - started
        try:
            yield
        finally:
            if self.holds():
                self.release()


class Stages:
    """The I/O gate and the CPU gate one worker pool shares."""

    def __init__(self, io_slots: int, cpu_slots: int, *, clock: Clock = time.monotonic) -> None:
        self.io_gate = Gate(io_slots, clock=clock)
        self.cpu_gate = Gate(cpu_slots, clock=clock)

    def interrupt(self) -> None:
        self.io_gate.interrupt()
        self.cpu_gate.interrupt()

    @property
    def threads(self) -> int:
        """Threads that keep both gates busy: one per slot."""
        return self.io_gate.slots + self.cpu_gate.slots

    def io(
        self, cancel: threading.Event | None, timings: dict[str, float]
    ) -> AbstractContextManager[None]:
        return self.io_gate.held(cancel, timings, "io_wait")

    def cpu(
        self, cancel: threading.Event | None, timings: dict[str, float]
    ) -> AbstractContextManager[None]:
        return self.cpu_gate.held(cancel, timings, "cpu_wait")


def io_step(
    stages: Stages | None, cancel: threading.Event | None, timings: dict[str, float]
) -> AbstractContextManager[None]:
    """The I/O gate of ``stages``; no gate at all without stages (the whole job at once)."""
    return stages.io(cancel, timings) if stages is not None else nullcontext()


def cpu_step(
    stages: Stages | None, cancel: threading.Event | None, timings: dict[str, float]
) -> AbstractContextManager[None]:
    return stages.cpu(cancel, timings) if stages is not None else nullcontext()


def steps_text(timings: dict[str, float]) -> str:
    """``download 0.31s, cpu_wait 0.00s, …``: where a job's time went, for the log."""
    return ", ".join(f"{step} {seconds:.2f}s" for step, seconds in timings.items()) or "no steps"


@contextmanager
def timed(timings: dict[str, float], step: str, clock: Clock = time.monotonic) -> Iterator[None]:
    """Add the ``with`` block's seconds to ``timings[step]``."""
    started = clock()
    try:
        yield
    finally:
        timings[step] = timings.get(step, 0.0) + clock() - started
