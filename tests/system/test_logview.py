from __future__ import annotations

import io
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest

from spotsyncd.core.errors import UserError
from spotsyncd.system.logview import (
    file_log_handler,
    journal_command,
    level_number,
    parse_since,
    show,
    syslog_priority,
)
from tests.support import waiting

NOW = datetime(2026, 11, 22, 6, 0, 0).timestamp()


def _line(
    minutes_ago: float, level: str, message: str, name: str = "spotsyncd.engine.jobs.worker"
) -> str:
    stamp = datetime.fromtimestamp(NOW - minutes_ago * 60).strftime("%Y-%m-%d %H:%M:%S")
    return f"{stamp},123 {level} {name}: {message}\n"


@pytest.fixture
def log_file(tmp_path: Path) -> Path:
    path = tmp_path / "logs" / "spotsyncd.log"
    path.parent.mkdir()
    path.write_text(
        "stray line before any record\n"
        + _line(120, "INFO", "started")
        + _line(90, "ERROR", "job 7 failed")
        + "Traceback (most recent call last):\n"
        + '  File "worker.py", line 1\n'
        + _line(30, "DEBUG", "claimed job 8")
        + _line(20, "WARNING", "youtube asked to confirm you're not a bot")
        + _line(5, "INFO", "filed Artist/Album/01 - Song.mp3")
    )
    return path


def _show(log_file: Path, **kwargs: object) -> list[str]:
    out = io.StringIO()
    count = show(log_file, out=out, now=NOW, **kwargs)  # type: ignore[arg-type]
    lines = out.getvalue().splitlines()
    assert count == len(lines)
    return lines


def test_everything_without_filters(log_file: Path) -> None:
    assert _show(log_file) == log_file.read_text().splitlines()


def test_level_filter_keeps_tracebacks_with_their_record(log_file: Path) -> None:
    lines = _show(log_file, level="warning")
    assert [line.split(" ", 2)[2] for line in lines if line[:4] == "2026"] == [
        "ERROR spotsyncd.engine.jobs.worker: job 7 failed",
        "WARNING spotsyncd.engine.jobs.worker: youtube asked to confirm you're not a bot",
    ]
    assert "Traceback (most recent call last):" in lines
    assert "stray line before any record" not in lines


def test_since_filter(log_file: Path) -> None:
    lines = _show(log_file, since_s=parse_since("1h"))
    assert len(lines) == 3
    assert lines[0].endswith("claimed job 8")
    assert "Traceback (most recent call last):" not in lines


def test_since_and_level_and_last_lines(log_file: Path) -> None:
    assert _show(log_file, since_s=3600, level="info") == [
        _line(20, "WARNING", "youtube asked to confirm you're not a bot").rstrip("\n"),
        _line(5, "INFO", "filed Artist/Album/01 - Song.mp3").rstrip("\n"),
    ]
    assert _show(log_file, lines=1) == [_line(5, "INFO", "filed Artist/Album/01 - Song.mp3")[:-1]]


def test_missing_file_without_follow_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="no log file at"):
        show(tmp_path / "nope.log", out=io.StringIO())


def test_bad_level_and_since_are_user_errors() -> None:
    with pytest.raises(UserError, match="not a log level"):
        level_number("loud")
    with pytest.raises(UserError, match="not a duration"):
        parse_since("yesterday")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90", 90), ("90s", 90), ("30m", 1800), ("1h", 3600), ("7d", 604800), ("1.5h", 5400)],
)
def test_parse_since(text: str, seconds: float) -> None:
    assert parse_since(text) == seconds


class _Follower:
    """Runs ``show(follow=True)`` in a thread and lets the test wait for output."""

    def __init__(self, path: Path, **kwargs: object) -> None:
        self.out = io.StringIO()
        self.stop = threading.Event()
        self.thread = threading.Thread(
            target=show,
            args=(path,),
            kwargs={"follow": True, "out": self.out, "stop_event": self.stop, "poll_s": 0.02}
            | kwargs,
        )
        self.thread.start()

    def wait_for(self, predicate: Callable[[list[str]], bool], timeout: float = 5) -> list[str]:
        def lines_when_ready() -> list[list[str]]:
            lines = self.out.getvalue().splitlines()
            return [lines] if predicate(lines) else []

        (lines,) = waiting.wait_for(
            lines_when_ready,
            timeout,
            what=f"the followed output to satisfy {waiting.describe(predicate)}",
            interval=0.01,
            details=lambda: f"output so far: {self.out.getvalue()!r}",
        )
        return lines

    def finish(self) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
        assert not self.thread.is_alive()


@pytest.fixture
def follower() -> Iterator[Callable[..., _Follower]]:
    started: list[_Follower] = []

    def start(path: Path, **kwargs: object) -> _Follower:
        started.append(_Follower(path, **kwargs))
        return started[-1]

    yield start
    for item in started:
        item.finish()


def test_follow_a_growing_file(tmp_path: Path, follower: Callable[..., _Follower]) -> None:
    path = tmp_path / "spotsyncd.log"
    path.write_text("old line\n")
    tail = follower(path, level="info")
    with path.open("a") as log:
        log.write(_line(0, "INFO", "one"))
        log.write(_line(0, "DEBUG", "hidden"))
        log.write(_line(0, "ERROR", "two")[:20])  # the writer is mid-line
        log.flush()
        tail.wait_for(lambda lines: len(lines) == 1)
        time.sleep(0.1)
        assert tail.out.getvalue().splitlines()[0].endswith("one")
        assert len(tail.out.getvalue().splitlines()) == 1
        log.write(_line(0, "ERROR", "two")[20:])
    lines = tail.wait_for(lambda lines: len(lines) == 2)
    assert lines[1].endswith("ERROR spotsyncd.engine.jobs.worker: two")
    assert "old line" not in lines


def test_follow_survives_rename_rotation(
    tmp_path: Path, follower: Callable[..., _Follower]
) -> None:
    path = tmp_path / "spotsyncd.log"
    handler = file_log_handler(path, "debug")
    handler.maxBytes = 1000  # type: ignore[attr-defined]  # one rotation in the burst below
    logger = logging.Logger("spotsyncd.test-rotation")
    logger.addHandler(handler)
    try:
        logger.info("first")
        tail = follower(path)
        tail.wait_for(lambda lines: len(lines) == 1)
        inode = os.stat(path).st_ino
        for n in range(12):
            logger.info("message %d %s", n, "x" * 40)
        assert os.stat(path).st_ino != inode, "the handler should have rotated"
        assert (tmp_path / "spotsyncd.log.1").exists()
        lines = tail.wait_for(lambda lines: len(lines) == 13)
    finally:
        handler.close()
    assert [line.rsplit(": ", 1)[1].split(" x")[0] for line in lines] == ["first"] + [
        f"message {n}" for n in range(12)
    ]


def test_follow_survives_truncation(tmp_path: Path, follower: Callable[..., _Follower]) -> None:
    path = tmp_path / "spotsyncd.log"
    path.write_text(_line(0, "INFO", "before truncation " + "y" * 60))
    tail = follower(path)
    tail.wait_for(lambda lines: len(lines) == 1)
    path.write_text(_line(0, "INFO", "after"))  # copytruncate-style: same inode, smaller
    lines = tail.wait_for(lambda lines: len(lines) == 2)
    assert lines[1].endswith("INFO spotsyncd.engine.jobs.worker: after")


def test_follow_waits_for_the_file_to_appear(
    tmp_path: Path, follower: Callable[..., _Follower]
) -> None:
    path = tmp_path / "later.log"
    tail = follower(path)
    time.sleep(0.05)
    path.write_text(_line(0, "INFO", "hello"))
    assert tail.wait_for(lambda lines: len(lines) == 1)[0].endswith("hello")


def test_journal_command() -> None:
    assert journal_command() == [
        "journalctl", "--user", "--unit", "spotsyncd.service", "--no-pager", "--output",
        "short-iso",
    ]  # fmt: skip
    assert journal_command(
        "spotsyncd.service", since_s=3600, level="warning", follow=True, lines=50, user=False
    ) == [
        "journalctl", "--unit", "spotsyncd.service", "--no-pager", "--output", "short-iso",
        "--since", "-3600s", "--priority", "4", "--lines", "50", "--follow",
    ]  # fmt: skip


def test_syslog_priority() -> None:
    assert [syslog_priority(n) for n in (5, 10, 20, 25, 30, 40, 50)] == [7, 7, 6, 6, 4, 3, 2]
