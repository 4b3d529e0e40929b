"""``download.cookies_file`` read for what it says about the YouTube login: which YouTube and
Google cookies it holds and when the login ones expire. Names, domains and dates only: a
cookie's value is never kept, logged or shown.

The file is the Netscape ``cookies.txt`` that yt-dlp reads, parsed with the standard library's
``MozillaCookieJar``. Browser exporters write HttpOnly cookies (YouTube's login cookies are) as
``#HttpOnly_.youtube.com …`` lines, which that parser would skip as comments: the prefix is
taken off first, as yt-dlp's own cookie jar does.
"""

from __future__ import annotations

import io
import time
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from http.cookiejar import LoadError, MozillaCookieJar
from pathlib import Path

from spotsyncd.core.errors import ConfigError

WARN_DAYS = 7
# The cookies of a signed-in Google session that YouTube checks (yt-dlp's wiki on exporting
# YouTube cookies names SID/SAPISID and their __Secure- variants; LOGIN_INFO is YouTube's own).
LOGIN_COOKIES = frozenset(
    {
        "SID", "HSID", "SSID", "APISID", "SAPISID", "LOGIN_INFO",
        "__Secure-1PSID", "__Secure-3PSID", "__Secure-1PAPISID", "__Secure-3PAPISID",
    }
)  # fmt: skip
_HTTPONLY = "#HttpOnly_"
EXPORT_FIX = (
    "export fresh cookies.txt from a browser logged in to YouTube (a private window you then "
    "close, so the browser does not rotate them) to {path}"
)


class CookieFileError(ValueError):
    """The file is not a Netscape cookies.txt, or holds no YouTube cookies; ``fix`` says what
    to do."""

    def __init__(self, message: str, fix: str) -> None:
        super().__init__(message)
        self.fix = fix


@dataclass(frozen=True)
class LoginCookie:
    name: str
    domain: str
    expires: float | None  # epoch seconds; None: a session cookie


@dataclass(frozen=True)
class CookieFile:
    path: Path
    youtube: int  # cookies for youtube.com
    login: tuple[LoginCookie, ...]  # login cookies for youtube.com or google.com

    @property
    def expires_at(self) -> float | None:
        """When the first login cookie expires (None: no login cookie has a date)."""
        dates = [c.expires for c in self.login if c.expires is not None]
        return min(dates) if dates else None


@dataclass(frozen=True)
class CookieState:
    """How the login in the file stands at ``now``: ``ok``, ``expiring`` (within WARN_DAYS),
    ``expired``, ``no_login`` (YouTube cookies, but none of a signed-in session) or ``error``
    (unreadable, not Netscape format, no YouTube cookies). ``message`` says it, ``fix`` what
    to do."""

    state: str
    message: str
    fix: str = ""
    expires_at: float | None = None

    @property
    def needs_action(self) -> bool:
        return self.state in ("expiring", "expired", "error")

    def to_json(self) -> dict[str, object]:
        return {
            "state": self.state,
            "message": self.message,
            "fix": self.fix,
            "expires_at": self.expires_at,
        }


def read_cookie_file(path: Path) -> CookieFile:
    """The YouTube facts of ``path``. Raises OSError when it cannot be read, CookieFileError
    when it is no Netscape cookies.txt or holds no YouTube cookie."""
    text = path.read_text(encoding="utf-8", errors="replace")
    cleaned = "\n".join(
        line[len(_HTTPONLY) :] if line.startswith(_HTTPONLY) else line for line in text.splitlines()
    )
    jar = MozillaCookieJar()
    try:
        with warnings.catch_warnings():  # a bad line also warns "http.cookiejar bug!"
            warnings.simplefilter("ignore")
            # The parser behind load(), given the cleaned text instead of the file.
            jar._really_load(io.StringIO(cleaned + "\n"), str(path), True, True)  # type: ignore[attr-defined]
    except LoadError as exc:
        # LoadError's text may quote a line, value and all: only its kind is said.
        why = (
            "a line is not 7 tab-separated fields"
            if "invalid Netscape" in str(exc)
            else "its first line is not '# Netscape HTTP Cookie File'"
        )
        raise CookieFileError(
            f"{path} is not a Netscape cookies.txt ({why})",
            f"export youtube.com's cookies in Netscape format to {path} (a cookies.txt "
            "browser extension, or 'yt-dlp --cookies-from-browser BROWSER --cookies FILE')",
        ) from None
    youtube = 0
    login: list[LoginCookie] = []
    for cookie in jar:
        domain = cookie.domain.lstrip(".").lower()
        on_youtube = domain == "youtube.com" or domain.endswith(".youtube.com")
        on_google = domain == "google.com" or domain.endswith(".google.com")
        youtube += on_youtube
        if (on_youtube or on_google) and cookie.name in LOGIN_COOKIES:
            expires = float(cookie.expires) if cookie.expires else None
            login.append(LoginCookie(cookie.name, cookie.domain, expires))
    if not youtube:
        raise CookieFileError(f"{path} holds no youtube.com cookies", EXPORT_FIX.format(path=path))
    return CookieFile(path=path, youtube=youtube, login=tuple(login))


def require_youtube_cookies(path: Path) -> None:
    """Refuse a cookies file that is no Netscape cookies.txt or holds no YouTube cookie, as
    the configuration error it is (one that cannot be read is the download's to report)."""
    try:
        read_cookie_file(path)
    except OSError:
        return
    except CookieFileError as exc:
        raise ConfigError(f"{exc}: {exc.fix}", key="download.cookies_file") from None


def cookie_state(path: Path, now: float | None = None, warn_days: int = WARN_DAYS) -> CookieState:
    """What ``status``, ``doctor``, the dashboard and the notification say about ``path``."""
    now = time.time() if now is None else now
    fix = EXPORT_FIX.format(path=path)
    try:
        found = read_cookie_file(path)
    except OSError as exc:
        return CookieState(
            "error",
            f"download.cookies_file {path} cannot be read ({exc.strerror or exc})",
            "fix the path or its permissions, or remove the setting",
        )
    except CookieFileError as exc:
        return CookieState("error", f"download.cookies_file: {exc}", exc.fix)
    if not found.login:
        return CookieState(
            "no_login",
            f"{path} has {found.youtube} youtube.com cookies but none of a signed-in session: "
            "they help little against bot checks",
            fix,
        )
    expires = found.expires_at
    if expires is None:
        return CookieState("ok", f"{path}: YouTube login cookies without an expiry date")
    day = _day(expires)
    if expires <= now:
        return CookieState(
            "expired",
            f"the YouTube login cookies in {path} expired on {day}: YouTube treats downloads "
            "as logged out",
            fix,
            expires,
        )
    days = (expires - now) / 86400
    if days <= warn_days:
        left = "less than a day" if days < 1 else f"{int(days)} day{'s' if int(days) != 1 else ''}"
        return CookieState(
            "expiring",
            f"the YouTube login cookies in {path} expire on {day} (in {left})",
            fix,
            expires,
        )
    return CookieState("ok", f"{path}: YouTube login cookies valid until {day}", "", expires)


def _day(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")
