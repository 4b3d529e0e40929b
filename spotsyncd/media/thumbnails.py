"""Small cover thumbnails for the dashboard: the picture embedded in a filed file, scaled down
once with ffmpeg and kept in a cache folder (state dir). A cached thumbnail is named after the
file's path, size and modification time, so a retagged or replaced file gets a new one."""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import tempfile
from pathlib import Path

from spotsyncd.media.tags import read_picture

log = logging.getLogger(__name__)
SIZE = 300  # pixels, the longer side: sharp on a phone's 2x screen at the grid's 150 px
MAX_CACHED = 5000  # thumbnails kept; the oldest go first


def cover_thumbnail(audio: Path, cache_dir: Path, size: int = SIZE) -> bytes | None:
    """A JPEG of at most ``size`` pixels per side of ``audio``'s embedded cover, or None
    when it has none (or ffmpeg cannot read it)."""
    try:
        info = audio.stat()
    except OSError:
        return None
    name = f"{audio.resolve()}\0{info.st_size}\0{info.st_mtime_ns}\0{size}"
    cached = cache_dir / (hashlib.sha256(name.encode()).hexdigest()[:32] + ".jpg")
    try:
        return cached.read_bytes() or None  # an empty file: known to have no cover
    except OSError:
        pass
    picture = read_picture(audio)
    small = _scaled(picture, size) if picture else None
    _keep(cache_dir, cached, small or b"")
    return small


def _scaled(picture: bytes, size: int) -> bytes | None:
    from spotsyncd.system.tools import find_ffmpeg

    scale = f"scale='min({size},iw)':'min({size},ih)':force_original_aspect_ratio=decrease"
    try:
        result = subprocess.run(
            [str(find_ffmpeg().path), "-hide_banner", "-loglevel", "error", "-i", "pipe:0",
             "-frames:v", "1", "-vf", scale, "-q:v", "4", "-f", "mjpeg", "pipe:1"],
            input=picture,
            capture_output=True,
            timeout=30,
            check=True,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError) as exc:
        log.debug("cover thumbnail: ffmpeg could not read the picture: %s", exc)
        return None
    return result.stdout or None


def _keep(cache_dir: Path, target: Path, data: bytes) -> None:
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=cache_dir, suffix=".part")
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temp, target)
        entries = list(cache_dir.glob("*.jpg"))
        if len(entries) > MAX_CACHED:
            entries.sort(key=lambda p: p.stat().st_mtime)
            for old in entries[: len(entries) - MAX_CACHED]:
                old.unlink(missing_ok=True)
    except OSError as exc:
        log.debug("cover thumbnail: not cached in %s: %s", cache_dir, exc)
