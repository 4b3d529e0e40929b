"""Fetch cover art over http(s) with a size cap; failures are not fatal to a job."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from spotsyncd.system.http import HttpClient, HttpError, TooLarge

log = logging.getLogger(__name__)
MAX_COVER_BYTES = 10 * 1024 * 1024


def fetch_cover(
    url: str | None, *, timeout_s: float = 20.0, http: HttpClient | None = None
) -> bytes | None:
    """The image at ``url`` as bytes (JPEG/PNG; WebP converted to JPEG), or None with a
    warning. ``http``: the client to ask with (a new one with ``timeout_s`` otherwise)."""
    if not url or urlsplit(url).scheme not in ("http", "https"):
        return None
    try:
        data = (http or HttpClient(timeout_s=timeout_s)).get(url, max_bytes=MAX_COVER_BYTES).body
    except TooLarge:
        log.warning("cover art %s is larger than 10 MB; skipped", _short(url))
        return None
    except HttpError as exc:
        log.warning("cover art %s not fetched: %s", _short(url), exc)
        return None
    if data.startswith(b"\xff\xd8\xff") or data.startswith(b"\x89PNG\r\n\x1a\n"):
        return data
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _to_jpeg(data, "webp_pipe")
    log.warning("cover art %s is not a JPEG or PNG image; skipped", _short(url))
    return None


def as_jpeg(data: bytes | None) -> bytes | None:
    """``data`` (from ``fetch_cover``: JPEG or PNG) as JPEG, for files that must be ``.jpg``."""
    if data is None or data.startswith(b"\xff\xd8\xff"):
        return data
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return _to_jpeg(data, "png_pipe")
    return None


def _to_jpeg(data: bytes, demuxer: str) -> bytes | None:
    """YouTube thumbnails are often WebP, which players rarely show: convert with ffmpeg."""
    import subprocess

    from spotsyncd.system.tools import find_ffmpeg

    try:
        result = subprocess.run(
            [
                str(find_ffmpeg().path),
                "-hide_banner",
                "-loglevel",
                "error",
                "-f",
                demuxer,
                "-i",
                "pipe:0",
                "-frames:v",
                "1",
                "-f",
                "mjpeg",
                "pipe:1",
            ],
            input=data,
            capture_output=True,
            timeout=30,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout or None


def _short(url: str) -> str:
    """A URL without its query string (signed thumbnail URLs carry tokens)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"
