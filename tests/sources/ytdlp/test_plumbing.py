"""yt-dlp's own log lines: a warning stays a warning only when the user can act on it."""

from __future__ import annotations

import logging

import pytest

from spotsyncd.sources.ytdlp.plumbing import YtDlpLog

ROUTINE = [
    "WARNING: [generic] Falling back on generic information extractor",
    "WARNING: [generic] Retrying (1/1)...",
    "WARNING: [download] Got error: timed out. Retrying fragment 3 (1/10)...",
]
ACTIONABLE = [
    "WARNING: [youtube] abc: Sign in to confirm you're not a bot. Use --cookies-from-browser",
    "WARNING: [youtube] nsig extraction failed: you may experience throttling",
    "WARNING: No supported JavaScript runtime could be found; install deno",
    "WARNING: The provided YouTube account cookies are no longer valid",
]


@pytest.mark.parametrize("line", ROUTINE)
def test_routine_warnings_go_to_debug(line: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="t"):
        YtDlpLog(logging.getLogger("t")).warning(line)
    assert [r.levelno for r in caplog.records] == [logging.DEBUG]


@pytest.mark.parametrize("line", ACTIONABLE)
def test_warnings_a_user_can_act_on_stay(line: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="t"):
        YtDlpLog(logging.getLogger("t")).warning(line)
    assert [r.levelno for r in caplog.records] == [logging.WARNING]
    assert "WARNING:" not in caplog.records[0].getMessage()
