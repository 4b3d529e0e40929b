"""``spotsyncd logs``: read the daemon's log file (filter, follow, survive rotation) or journald.

The file format is logging's ``%(asctime)s %(levelname)s %(name)s: %(message)s``, e.g.
``2026-11-22 05:40:01,123 INFO spotsyncd.engine.jobs.worker: filed Artist/Album/01 - Title.mp3``.
Lines that do not start with a timestamp (tracebacks, multi-line messages) belong to the
record above them.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from spotsyncd.core.errors import UserError

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LEVELS = {"debug": 10, "info": 20, "warning": 30, "warn": 30, "error": 40, "critical": 50}
_RECORD_START = re.compile(
    r"^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}),(\d{3}) (DEBUG|INFO|WARNING|ERROR|CRITICAL) "
)
_SINCE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d|w)?\s*$", re.IGNORECASE)
_SINCE_UNITS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}
# journald's priorities: what the daemon's stderr lines should start with (``<4>``) under systemd.
_SYSLOG_PRIORITY = {10: 7, 20: 6, 30: 4, 40: 3, 50: 2}


def parse_since(text: str) -> float:
    """``"90s"``, ``"30m"``, ``"1h"``, ``"7d"``, ``"2w"`` or plain seconds → seconds."""
    match = _SINCE.match(text)
    if not match:
        raise UserError(f"--since {text!r} is not a duration; use e.g. 30m, 1h or 7d")
    number, unit = match.groups()
    return float(number) * _SINCE_UNITS[(unit or "s").lower()]


def level_number(level: str) -> int:
    """``"warning"`` → 30; raises ``UserError`` for a name that is not a level."""
    try:
        return LEVELS[level.strip().lower()]
    except KeyError:
        names = ", ".join(name for name in LEVELS if name != "warn")
        raise UserError(f"--level {level!r} is not a log level; use one of {names}") from None


def syslog_priority(levelno: int) -> int:
    """The journald priority for a logging level, for ``<N>`` prefixes on stderr lines."""
    for threshold in (50, 40, 30, 20):
        if levelno >= threshold:
            return _SYSLOG_PRIORITY[threshold]
    return _SYSLOG_PRIORITY[10]


def journal_command(
    unit: str = "spotsyncd.service",
    *,
    since_s: float | None = None,
    level: str | None = None,
    follow: bool = False,
    lines: int | None = None,
    user: bool = True,
) -> list[str]:
    """The ``journalctl`` command that shows the installed unit's logs with the same filters."""
    command = ["journalctl"]
    if user:
        command.append("--user")
    command += ["--unit", unit, "--no-pager", "--output", "short-iso"]
    if since_s is not None:
        command += ["--since", f"-{max(int(since_s), 1)}s"]
    if level is not None:
        command += ["--priority", str(syslog_priority(level_number(level)))]
    if lines is not None:
        command += ["--lines", str(lines)]
    if follow:
        command.append("--follow")
    return command


@dataclass
class _Filter:
    min_level: int
    not_before: float | None
    showing: bool  # the verdict of the last record, inherited by its continuation lines

    def accepts(self, line: str) -> bool:
        match = _RECORD_START.match(line)
        if match is None:
            return self.showing
        stamp, _millis, level = match.groups()
        when = datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S").timestamp()  # local, as logging
        self.showing = LEVELS[level.lower()] >= self.min_level and (
            self.not_before is None or when >= self.not_before
        )
        return self.showing


def show(
    log_file: Path,
    *,
    follow: bool = False,
    since_s: float | None = None,
    level: str | None = None,
    lines: int | None = None,
    out: TextIO,
    stop_event: threading.Event | None = None,
    now: float | None = None,
    poll_s: float = 0.2,
) -> int:
    """Write the log records of ``log_file`` that pass the filters to ``out``; return lines shown.

    ``since_s`` keeps records from the last so many seconds, ``level`` the ones at or above that
    level, ``lines`` only the last N matching lines already in the file. With ``follow`` it then
    keeps printing new lines, across rotation, until ``stop_event`` is set.
    """
    min_level = level_number(level) if level is not None else 0
    reference = time.time() if now is None else now
    not_before = None if since_s is None else reference - since_s
    # Lines before the first record can only be judged when nothing is filtered.
    filt = _Filter(min_level, not_before, showing=min_level == 0 and not_before is None)
    stop = stop_event or threading.Event()
    if not log_file.exists() and not follow:
        raise UserError(
            f"no log file at {log_file}; the daemon has not written one yet "
            "(is log_file set in the config, and has `spotsyncd run` started?)"
        )
    tail = _Tail(log_file)
    try:
        shown = 0
        backlog: Iterable[str] = (line for line in tail.read_lines() if filt.accepts(line))
        if lines is not None:
            backlog = deque(backlog, maxlen=max(lines, 0))
        for line in backlog:
            out.write(line)
            shown += 1
        out.flush()
        while follow and not stop.is_set():
            fresh = [line for line in tail.read_lines() if filt.accepts(line)]
            for line in fresh:
                out.write(line)
            shown += len(fresh)
            if fresh:
                out.flush()
            else:
                stop.wait(poll_s)
        return shown
    finally:
        tail.close()


class _Tail:
    """Reads complete lines from a file that grows and may be rotated or truncated."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: BinaryIO | None = None
        self._partial = b""

    def read_lines(self) -> Iterator[str]:
        if self._file is None and not self._open():
            return
        yield from self._drain()
        if self._replaced():
            # Rotation renamed the old file away: finish it above, then continue in the new one.
            self.close()
            if self._open():
                yield from self._drain()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        self._partial = b""

    def _open(self) -> bool:
        try:
            self._file = self.path.open("rb")
        except FileNotFoundError:
            return False  # not created yet, or between rotation's rename and re-creation
        return True

    def _drain(self) -> Iterator[str]:
        assert self._file is not None
        data = self._file.read()
        if not data:
            return
        chunks = (self._partial + data).split(b"\n")
        # The last piece has no newline yet: the writer is mid-line, keep it for the next round.
        self._partial = chunks.pop()
        for chunk in chunks:
            yield chunk.decode("utf-8", "replace") + "\n"

    def _replaced(self) -> bool:
        assert self._file is not None
        try:
            current = os.stat(self.path)
        except FileNotFoundError:
            return False
        opened = os.fstat(self._file.fileno())
        truncated = current.st_size < self._file.tell()
        return truncated or (current.st_ino, current.st_dev) != (opened.st_ino, opened.st_dev)


def file_log_handler(log_file: Path, level: str) -> logging.Handler:
    """A rotating file handler in the format ``show`` reads; for the daemon to attach."""
    from logging.handlers import RotatingFileHandler

    class PrivateRotatingFileHandler(RotatingFileHandler):
        """Log files name links, hosts and paths: readable by their owner only (0600), the
        first file and every one a rotation makes."""

        def _open(self) -> Any:
            fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            with contextlib.suppress(OSError):  # not ours to change: leave it
                if os.fstat(fd).st_mode & 0o077:
                    os.fchmod(fd, 0o600)
            return os.fdopen(fd, "a", encoding=self.encoding, errors=self.errors)

    log_file.parent.mkdir(parents=True, exist_ok=True)
    handler = PrivateRotatingFileHandler(
        log_file, maxBytes=5 * 1024 * 1024, backupCount=3, delay=True, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.setLevel(level_number(level))
    return handler
