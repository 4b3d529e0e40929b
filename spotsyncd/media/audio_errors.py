"""What an ffmpeg run's failure means for the track: a full disk (``DiskError``: the system's
problem, the job waits), or a file that is no audio, truncated or unreadable
(``PermanentError``: the download's), each with one line that says so."""

from __future__ import annotations

import errno
from pathlib import Path

from spotsyncd.core.errors import DiskError, PermanentError

DISK_ERRORS = ("No space left on device", "Read-only file system", "Disk quota exceeded")
NO_AUDIO = ("matches no streams", "does not contain any stream")


def checked(results: list[tuple[int, str]], src: Path) -> list[str]:
    for code, log in results:
        if code != 0:
            raise error_from(log, src)
    return [log for _, log in results]


def check_readable(src: Path) -> None:
    try:
        size = src.stat().st_size
    except OSError as exc:
        raise PermanentError(f"cannot read downloaded file {src}: {exc.strerror}") from exc
    if size == 0:
        raise PermanentError(f"{src.name} is empty (0 bytes); the download produced no audio")


def error_from(log: str, src: Path) -> Exception:
    lines = [ln.strip() for ln in log.splitlines() if ln.strip()]
    last = lines[-1] if lines else "no output"
    for marker in DISK_ERRORS:
        if marker in log:
            return DiskError(f"writing processed audio for {src.name} failed: {marker}; "
                             "free space or fix the staging dir")  # fmt: skip
    if any(marker in log for marker in NO_AUDIO) or ("Input #0" in log and "Audio:" not in log):
        return PermanentError(f"{src.name} has no audio stream")
    if "Invalid data found" in log or "moov atom not found" in log:
        return PermanentError(f"{src.name} is not a playable audio/video file ({last})")
    return PermanentError(f"ffmpeg could not process {src.name}: {last}")


def disk_error(exc: OSError, what: str) -> Exception:
    if exc.errno in (errno.ENOSPC, errno.EROFS, errno.EDQUOT):
        return DiskError(f"{what}: {exc.strerror}; free space or fix the staging directory")
    return exc
