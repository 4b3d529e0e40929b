"""download.cookies_file read for its YouTube login: cookie files written here with the dates
each test sets, in the shape browser exporters write (HttpOnly lines included)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from spotsyncd.core.errors import ConfigError
from spotsyncd.sources.ytdlp.cookies import (
    CookieFileError,
    cookie_state,
    read_cookie_file,
    require_youtube_cookies,
)

DAY = 86400.0
NOW = 1_780_000_000.0  # a fixed "now" (2026-05-28)
SECRET = "g.a000secret-cookie-value-0123456789"


def cookie_file(path: Path, login_expires: float, *, extra: str = "") -> Path:
    """A cookies.txt as a browser extension exports it: YouTube's login cookies (HttpOnly ones
    on '#HttpOnly_' lines), a Google one, a visitor cookie without login, and others."""
    e = int(login_expires)
    path.write_text(
        "# Netscape HTTP Cookie File\n"
        "# http://curl.haxx.se/rfc/cookie_spec.html\n"
        "# This is a generated file!  Do not edit.\n\n"
        f".youtube.com\tTRUE\t/\tTRUE\t{e + 30 * int(DAY)}\tVISITOR_INFO1_LIVE\tvisitor\n"
        f".youtube.com\tTRUE\t/\tFALSE\t{e}\tSID\t{SECRET}\n"
        f"#HttpOnly_.youtube.com\tTRUE\t/\tFALSE\t{e + 5 * int(DAY)}\tHSID\t{SECRET}\n"
        f"#HttpOnly_.youtube.com\tTRUE\t/\tTRUE\t{e + 9 * int(DAY)}\t__Secure-3PSID\t{SECRET}\n"
        f".google.com\tTRUE\t/\tTRUE\t{e + 2 * int(DAY)}\tSAPISID\t{SECRET}\n"
        f".example.org\tTRUE\t/\tFALSE\t{e - 100 * int(DAY)}\tSID\tnot-ours\n" + extra,
        encoding="utf-8",
    )
    return path


def test_login_cookies_are_read_with_their_dates_and_never_their_values(tmp_path: Path) -> None:
    found = read_cookie_file(cookie_file(tmp_path / "c.txt", NOW + 30 * DAY))
    assert found.youtube == 4  # the HttpOnly lines count: YouTube's login cookies are HttpOnly
    assert {c.name for c in found.login} == {"SID", "HSID", "__Secure-3PSID", "SAPISID"}
    assert found.expires_at == NOW + 30 * DAY  # the first to expire (example.org's is not ours)
    assert SECRET not in repr(found)


@pytest.mark.parametrize(
    ("expires_in_days", "state", "words"),
    [
        (30, "ok", "valid until 2026-06-27"),
        (8, "ok", "valid until"),
        (6.5, "expiring", "expire on 2026-06-04 08:26 UTC (in 6 days)"),
        (0.5, "expiring", "(in less than a day)"),
        (-1, "expired", "expired on 2026-05-27"),
    ],
)
def test_warned_seven_days_before_with_what_to_do(
    tmp_path: Path, expires_in_days: float, state: str, words: str
) -> None:
    path = cookie_file(tmp_path / "c.txt", NOW + expires_in_days * DAY)
    verdict = cookie_state(path, now=NOW)
    assert verdict.state == state and words in verdict.message, verdict
    assert verdict.expires_at == NOW + expires_in_days * DAY
    if state != "ok":
        assert "export fresh cookies.txt from a browser logged in to YouTube" in verdict.fix
        assert str(path) in verdict.fix and verdict.needs_action
    assert SECRET not in verdict.message + verdict.fix


def test_youtube_cookies_without_a_login_say_so(tmp_path: Path) -> None:
    path = tmp_path / "c.txt"
    path.write_text(
        "# Netscape HTTP Cookie File\n"
        f".youtube.com\tTRUE\t/\tTRUE\t{int(NOW + DAY)}\tVISITOR_INFO1_LIVE\tv\n"
        f".youtube.com\tTRUE\t/\tTRUE\t{int(NOW + DAY)}\tPREF\tf6=40000000\n"
    )
    verdict = cookie_state(path, now=NOW)
    assert verdict.state == "no_login" and "none of a signed-in session" in verdict.message
    assert not verdict.needs_action


def test_a_file_in_another_format_is_a_config_error(tmp_path: Path) -> None:
    json_export = tmp_path / "cookies.json"
    json_export.write_text(f'[{{"domain": ".youtube.com", "name": "SID", "value": "{SECRET}"}}]')
    with pytest.raises(CookieFileError, match="is not a Netscape cookies.txt"):
        read_cookie_file(json_export)
    with pytest.raises(ConfigError) as raised:
        require_youtube_cookies(json_export)
    assert "'download.cookies_file'" in str(raised.value) and SECRET not in str(raised.value)
    verdict = cookie_state(json_export, now=NOW)
    assert verdict.state == "error" and verdict.needs_action


def test_a_broken_line_is_a_config_error_that_does_not_quote_it(tmp_path: Path) -> None:
    broken = tmp_path / "c.txt"
    broken.write_text(f"# Netscape HTTP Cookie File\n.youtube.com\tTRUE\t/\tSID={SECRET}\n")
    with pytest.raises(CookieFileError, match="is not a Netscape cookies.txt") as raised:
        read_cookie_file(broken)
    assert SECRET not in str(raised.value)


def test_no_youtube_cookie_is_a_config_error(tmp_path: Path) -> None:
    other = tmp_path / "c.txt"
    other.write_text(
        f"# Netscape HTTP Cookie File\n.example.org\tTRUE\t/\tFALSE\t{int(NOW)}\tSID\tx\n"
    )
    with pytest.raises(ConfigError, match="holds no youtube.com cookies"):
        require_youtube_cookies(other)


def test_an_unreadable_file_is_left_to_the_download_and_reported(tmp_path: Path) -> None:
    require_youtube_cookies(tmp_path / "missing.txt")  # the download's AuthError says it
    verdict = cookie_state(tmp_path / "missing.txt", now=time.time())
    assert verdict.state == "error" and "cannot be read" in verdict.message
