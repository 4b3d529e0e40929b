"""One daemon per state directory: an exclusive ``flock`` on ``<state_dir>/spotsyncd.lock``.

``flock`` locks belong to the open file description, so the kernel drops the lock when the holder
dies, however it dies: no stale lock files to clean up. Python opens files non-inheritable, so
ffmpeg or deno children never keep the lock alive after the daemon is gone.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType

from spotsyncd.core.errors import AlreadyRunningError

LOCK_NAME = "spotsyncd.lock"


class InstanceLock:
    """Context manager that holds the state directory for this process.

    ``acquire`` raises ``AlreadyRunningError`` (a ``UserError``) naming the holder's PID when
    another process has it.
    """

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.path = state_dir / LOCK_NAME
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        import fcntl  # POSIX only; imported here so importing this module works everywhere

        if self._fd is not None:
            return
        self.state_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = _read_pid(fd)
            os.close(fd)
            who = f"pid {pid}" if pid is not None else "pid unknown"
            raise AlreadyRunningError(
                f"another spotsyncd ({who}) is already running on {self.state_dir}; stop it first"
            ) from None
        except BaseException:
            os.close(fd)
            raise
        # Truncate only once we own the lock, so a loser never wipes the holder's PID.
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        import fcntl

        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        # The file itself stays: unlinking it would let two processes lock two different inodes.
        try:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def __enter__(self) -> InstanceLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def holder_pid(state_dir: Path) -> int | None:
    """PID of the spotsyncd holding ``state_dir``; None when no daemon runs there.

    For ``status``/``doctor``: probes the lock without keeping it. Returns -1 when the directory is
    held but the PID cannot be read (the holder is between locking and writing it).
    """
    import fcntl

    path = state_dir / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read_pid(fd) or -1
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        return int(text) if text else None
    except (OSError, ValueError):
        return None
