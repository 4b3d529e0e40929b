"""Fetch cover art over http(s) with a size cap; failures are not fatal to a job."""

from __future__ import annotations

import logging
import urllib.request
from urllib.parse import urlsplit

log = logging.getLogger(__name__)
MAX_COVER_BYTES = 10 * 1024 * 1024


def fetch_cover(url: str | None, *, timeout_s: float = 20.0) -> bytes | None:
    """The image at ``url`` as bytes (JPEG/PNG only), or None with a warning."""
    if not url or urlsplit(url).scheme not in ("http", "https"):
        return None
    request = urllib.request.Request(url, headers={"User-Agent": "spotsyncd"})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            data: bytes = response.read(MAX_COVER_BYTES + 1)
    except (OSError, ValueError) as exc:
        log.warning("cover art %s not fetched: %s", _short(url), exc)
        return None
    if len(data) > MAX_COVER_BYTES:
        log.warning("cover art %s is larger than 10 MB; skipped", _short(url))
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
