"""yt-dlp's side of the conversation: its logger, the hooks of a reused YoutubeDL, and the facts
buried in its exception chains. Used only by ``client.py``."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from spotsyncd.sources.ytdlp.info import clean_message, redact


class Relay:
    """Stable hooks for a reused YoutubeDL that call the current download's own."""

    def __init__(self) -> None:
        self.on_progress: Callable[[Mapping[str, Any]], None] | None = None
        self.guard: Callable[..., None] | None = None

    def progress(self, report: Mapping[str, Any]) -> None:
        if self.on_progress is not None:
            self.on_progress(report)

    def match(self, info: Mapping[str, Any], *, incomplete: bool = False) -> None:
        if self.guard is not None:
            self.guard(info, incomplete=incomplete)


# yt-dlp warnings a person can act on (update yt-dlp, give cookies or a PO token, install a
# JavaScript runtime or ffmpeg). Everything else it warns about is routine for this daemon —
# "Retrying (1/1)…", "Falling back on generic information extractor" for a plain audio URL, a
# fragment retried — and goes to DEBUG: the outcome reaches the user as the job's result.
_ACTIONABLE = (
    "sign in to confirm", "confirm you", "cookies", "po token", "po_token", "javascript runtime",
    "js runtime", "nsig", "signature", "please update", "yt-dlp -u", "ffmpeg", "ffprobe",
    "deno", "not available in your country", "age-restricted", "drm",
)  # fmt: skip


def actionable(message: str) -> bool:
    """Whether a yt-dlp warning says something the user should do something about."""
    text = message.lower()
    return any(phrase in text for phrase in _ACTIONABLE)


class YtDlpLog:
    """yt-dlp's logger interface, into ours. Errors go to DEBUG because the same message
    reaches the caller as a classified JobError, which the worker logs once; warnings stay
    warnings only when they are :func:`actionable`."""

    def __init__(self, log: logging.Logger) -> None:
        self.log = log
        # yt-dlp's last warning that a PO token was missing (it then skips the formats that
        # need one): the failure that follows is a PO-token error, not "no formats".
        self.pot_warning: str | None = None

    def debug(self, message: str) -> None:
        self.log.debug("yt-dlp: %s", redact(message.removeprefix("[debug] ")))

    def info(self, message: str) -> None:
        self.log.info("yt-dlp: %s", redact(message))

    def warning(self, message: str) -> None:
        text = redact(message.removeprefix("WARNING: "))
        if "po token" in text.lower():
            self.pot_warning = clean_message(text)[:300]
        self.log.log(logging.WARNING if actionable(text) else logging.DEBUG, "yt-dlp: %s", text)

    def error(self, message: str) -> None:
        self.log.debug("yt-dlp: %s", redact(clean_message(message)))


def error_facts(exc: BaseException) -> tuple[int | None, float | None, int | None]:
    """HTTP status, Retry-After and OS errno from anywhere in yt-dlp's exception chain."""
    # Looked up per call, not bound at import: the yt-dlp in use can change (runtime.py).
    from yt_dlp.networking.exceptions import HTTPError

    status: int | None = None
    retry_after: float | None = None
    os_errno: int | None = None
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, HTTPError) and status is None:
            status = current.status
            header = current.response.headers.get("Retry-After") if current.response else None
            retry_after = float(header) if header and header.strip().isdigit() else None
        elif isinstance(current, OSError) and current.errno and os_errno is None:
            os_errno = current.errno
        exc_info = getattr(current, "exc_info", None)
        inner = exc_info[1] if isinstance(exc_info, tuple) and len(exc_info) > 1 else None
        cause = getattr(current, "cause", None)
        pending += [
            current.__cause__,
            current.__context__,
            inner,
            cause if isinstance(cause, BaseException) else None,
        ]
    return status, retry_after, os_errno
