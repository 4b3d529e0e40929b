"""yt-dlp's side of the conversation: its logger, the hooks of a reused YoutubeDL, and the facts
buried in its exception chains. Used only by ``client.py``."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from yt_dlp.networking.exceptions import HTTPError

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


class YtDlpLog:
    """yt-dlp's logger interface, into ours. Errors go to DEBUG because the same message
    reaches the caller as a classified JobError, which the worker logs once."""

    def __init__(self, log: logging.Logger) -> None:
        self.log = log

    def debug(self, message: str) -> None:
        self.log.debug("yt-dlp: %s", redact(message.removeprefix("[debug] ")))

    def info(self, message: str) -> None:
        self.log.info("yt-dlp: %s", redact(message))

    def warning(self, message: str) -> None:
        self.log.warning("yt-dlp: %s", redact(message.removeprefix("WARNING: ")))

    def error(self, message: str) -> None:
        self.log.debug("yt-dlp: %s", redact(clean_message(message)))


def error_facts(exc: BaseException) -> tuple[int | None, float | None, int | None]:
    """HTTP status, Retry-After and OS errno from anywhere in yt-dlp's exception chain."""
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
