"""Run ffmpeg processes side by side, cancellably, without pipes that can fill up."""

from __future__ import annotations

import subprocess
import tempfile
import threading
from pathlib import Path
from types import TracebackType
from typing import IO

from spotsyncd.core.errors import CancelledError

_POLL_S = 0.05


class FfmpegJob:
    """One running ffmpeg; its log goes to an unnamed temporary file."""

    def __init__(self, cmd: list[str], cwd: Path | None) -> None:
        # Closed by stop(), which FfmpegJobs calls for every job it started.
        self.log: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=self.log, cwd=cwd)  # fmt: skip
        self.done = threading.Event()
        # A blocking wait() in a thread wakes us the moment the process exits.
        threading.Thread(target=self._wait, daemon=True).start()

    def _wait(self) -> None:
        self.proc.wait()
        self.done.set()

    def text(self) -> str:
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.log.close()


class FfmpegJobs:
    """A set of ffmpeg processes for one file; leaving the ``with`` block kills what still runs.

    ``cancel`` is polled while waiting; once set, everything is killed and CancelledError raised.
    """

    def __init__(self, ffmpeg: Path, cancel: threading.Event | None, what: str) -> None:
        self.ffmpeg = ffmpeg
        self.cancel = cancel
        self.what = what
        self.jobs: list[FfmpegJob] = []

    def start(self, args: list[str], *, cwd: Path | None = None) -> FfmpegJob:
        cmd = [str(self.ffmpeg), "-hide_banner", "-nostdin", "-nostats", *args]
        job = FfmpegJob(cmd, cwd)
        self.jobs.append(job)
        return job

    def wait(self, *jobs: FfmpegJob) -> list[tuple[int, str]]:
        """Wait for ``jobs``; their exit codes and logs."""
        for job in jobs:
            while not job.done.wait(_POLL_S):
                if self.cancel is not None and self.cancel.is_set():
                    raise CancelledError(f"processing {self.what} was cancelled")
        return [(job.proc.returncode, job.text()) for job in jobs]

    def kill(self, job: FfmpegJob) -> None:
        job.stop()
        self.jobs.remove(job)

    def __enter__(self) -> FfmpegJobs:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for job in self.jobs:
            job.stop()
        self.jobs.clear()
