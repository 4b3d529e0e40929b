"""yt-dlp's side of the conversation: the options every YoutubeDL shares, its logger, the hooks
of a reused YoutubeDL, the facts buried in its exception chains and where a download landed.
Used by ``client.py`` (and ``canary.py``, for the JS runtime option)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from spotsyncd.core.errors import PermanentError, TransientError
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


# yt-dlp retries the media request once (a blip should not cost a whole job retry); anything
# longer is our worker's backoff, which resumes from the .part file. Extraction requests
# (the first GET of a page or a direct file) are never retried by yt-dlp itself.
_MEDIA_RETRIES = 1
_JS_RUNTIME_NAMES = {
    "deno": "deno",
    "node": "node",
    "nodejs": "node",
    "bun": "bun",
    "qjs": "quickjs",
    "quickjs": "quickjs",
}


def base_params(
    logger: YtDlpLog,
    *,
    timeout_s: float,
    cache_dir: Path | None,
    ffmpeg: Path,
    js_runtime: Path | None,
    extractor_args: dict[str, Any],
) -> dict[str, Any]:
    """The YoutubeDL options every call shares (downloads, listings, searches)."""
    params: dict[str, Any] = {
        "logger": logger,
        "quiet": True,
        "noprogress": True,
        "color": {"stdout": "no_color", "stderr": "no_color"},
        "consoletitle": False,
        "socket_timeout": timeout_s,
        "retries": _MEDIA_RETRIES,
        "fragment_retries": _MEDIA_RETRIES,
        "extractor_retries": 1,
        "skip_unavailable_fragments": False,  # a missing fragment is a hole in the audio
        "continuedl": True,
        "updatetime": False,
        "default_search": "error",  # never turn a non-URL into a YouTube search
        "cachedir": str(cache_dir) if cache_dir else False,
        "ffmpeg_location": str(ffmpeg),
        "extractor_args": extractor_args,
    }
    if js_runtime is not None:
        params["js_runtimes"] = js_runtime_param(js_runtime)
    return params


def js_runtime_param(path: Path) -> dict[str, dict[str, str]]:
    """yt-dlp's ``js_runtimes`` option for the runtime at ``path``."""
    name = _JS_RUNTIME_NAMES.get(path.stem.lower(), "deno")
    return {name: {"path": str(path)}}


def downloaded_path(info: Mapping[str, Any], dest_dir: Path, url: str) -> Path:
    """The file yt-dlp says it wrote for ``url``, checked to be inside ``dest_dir``."""
    downloads = info.get("requested_downloads") or ()
    paths = [d.get("filepath") for d in downloads if isinstance(d, Mapping)]
    found = next((Path(p) for p in paths if isinstance(p, str)), None)
    if found is None:
        raise PermanentError(f"{url}: yt-dlp finished without a file (nothing downloadable)")
    resolved = found.resolve()
    if not resolved.is_relative_to(dest_dir.resolve()) or not resolved.is_file():
        raise TransientError(f"{url}: the download did not land in {dest_dir} as expected")
    return resolved
