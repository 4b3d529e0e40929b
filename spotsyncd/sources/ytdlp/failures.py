"""yt-dlp's failures as our JobErrors: which error class a failed download, listing or search
is (``job_error``), the refusals raised inside yt-dlp's hooks, the http(s)-only check every
URL passes before yt-dlp sees it, and the one failure a retry can get past (an unresumable
partial file). Used by ``client.py`` and ``search.py``."""

from __future__ import annotations

import errno
import logging
from pathlib import Path
from urllib.parse import urlsplit

from spotsyncd.core.errors import (
    BotCheckError,
    DiskError,
    JobError,
    NetworkDownError,
    PermanentError,
    RateLimitedError,
    network_down_cause,
)
from spotsyncd.sources.ytdlp.info import classify_error, clean_message, is_http_url, redact
from spotsyncd.sources.ytdlp.plumbing import error_facts
from spotsyncd.system.netguard import BLOCKED_PHRASE, refusal_in

BOT_HINT = (
    "YouTube asked to confirm this is not a bot (every set of youtube.player_clients was "
    "tried). Update yt-dlp (pip install -U 'yt-dlp[default]'), set download.cookies_file to a "
    "cookies.txt exported from a browser logged in to YouTube, or run a PO-token provider "
    "(youtube.pot_provider_url); the docs' page 'When YouTube breaks' says how"
)


class Cancelled(Exception):
    """Raised inside yt-dlp's hooks to stop a transfer; never leaves the client."""


class PoTokenMissing(Exception):
    """yt-dlp failed after warning that a PO token was missing: a bot check by another name."""


class Refused(Exception):
    """Raised inside yt-dlp's match filter when the media is not something we fetch."""


def require_http(url: str) -> None:
    if not is_http_url(url):
        raise PermanentError(f"refused to fetch {url[:80]!r}: only http(s) links are downloaded")


def job_error(exc: BaseException, url: str) -> JobError:
    """The JobError a yt-dlp failure (or an OSError around it) at ``url`` stands for."""
    status, retry_after, os_errno = error_facts(exc)
    message = clean_message(str(exc))
    if os_errno in (errno.ENOSPC, errno.EROFS, errno.EDQUOT):
        return DiskError(
            f"{url}: cannot write the download ({message}); free space or fix "
            "the staging folder's permissions"
        )
    blocked = _blocked(exc)
    if blocked is not None:
        return PermanentError(f"{url}: {blocked}")
    cause = network_down_cause(exc)
    if cause is not None and status is None:
        host = _netloc(url)
        return NetworkDownError(f"{url}: cannot reach {host}: {cause}", host=host)
    youtube = "youtube" in message.lower() or "youtu" in (host_of(url) or "")
    kind = classify_error(message, http_status=status, youtube=youtube)
    if kind is RateLimitedError:
        return RateLimitedError(
            f"{url}: the site says too many requests ({message})",
            retry_after=retry_after,
            service=host_of(url) or "",
        )
    if kind is BotCheckError:
        return BotCheckError(f"{url}: {BOT_HINT}. yt-dlp said: {message}")
    if kind is PermanentError:
        return PermanentError(f"{url} cannot be downloaded: {message}")
    if kind is DiskError:
        return DiskError(f"{url}: cannot write the download ({message})")
    return kind(f"{url}: download failed: {message}")


def drop_unresumable(exc: BaseException, dest_dir: Path, url: str, log: logging.Logger) -> bool:
    """A ``.part`` the server will not resume (HTTP 416: it holds the whole file, killed
    before yt-dlp renamed it, or a rotated CDN URL serves another size) fails every retry:
    yt-dlp's own recovery asks again without a range but keeps the Range header (its issue
    12994). Remove the partial files so the next try starts from the first byte."""
    parts = list(dest_dir.glob("*.part"))
    if error_facts(exc)[0] != 416 or not parts:
        return False
    for part in parts:
        part.unlink(missing_ok=True)
    log.info(
        "%s: the server would not resume the partial download (HTTP 416); starting it again",
        redact(url),
    )
    return True


def _blocked(exc: BaseException) -> str | None:
    """The address check's refusal, from the exception chain or, where yt-dlp kept only the
    text of the error it wrapped, from that text."""
    refusal = refusal_in(exc)
    if refusal is not None:
        return refusal
    text = str(exc)
    start = text.find(BLOCKED_PHRASE)
    return clean_message(text[start:]) if start >= 0 else None


def host_of(url: str) -> str | None:
    try:
        return urlsplit(url).hostname
    except ValueError:
        return None


def _netloc(url: str) -> str:
    try:
        return urlsplit(url).netloc.rpartition("@")[2] or url
    except ValueError:
        return url
