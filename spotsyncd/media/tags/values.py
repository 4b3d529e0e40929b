"""Plain helpers for tag values (no mutagen here): the cleaned fields every format writes,
cleaning text, number pairs, image types, ReplayGain figures, the error for a failed write."""

from __future__ import annotations

import errno
import re
from pathlib import Path
from typing import Any

from spotsyncd.core.errors import DiskError, PermanentError
from spotsyncd.core.models import Processed, TrackMeta

_RG_REFERENCE_LUFS = -18.0  # ReplayGain 2.0 reference level
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def clean_text(value: str | None) -> str | None:
    """Text safe for every tag format: no NUL/control characters (ID3 uses NUL as a separator),
    no lone surrogates (they cannot be encoded), no surrounding blanks."""
    if value is None:
        return None
    text = _CONTROL.sub(" ", value).encode("utf-8", "replace").decode("utf-8").strip()
    return text or None


def image_mime(data: bytes) -> str | None:
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    return None


def tag_fields(meta: TrackMeta, key: str) -> dict[str, Any]:
    """The text fields every format writes, cleaned (``clean_text``); empty ones are None."""
    artists = [a for a in (clean_text(x) for x in meta.artists) if a]
    return {
        "title": clean_text(meta.title),
        "artists": artists,
        "album": clean_text(meta.album),
        "album_artist": clean_text(meta.album_artist),
        "date": clean_text(meta.date),
        "genre": clean_text(meta.genre),
        "isrc": clean_text(meta.isrc),
        "source_url": clean_text(meta.source_url),
        "key": clean_text(key) or "",
    }


def number_pair(number: int | None, total: int | None) -> str | None:
    if not number:
        return None
    return f"{number}/{total}" if total else str(number)


def split_pair(text: str | None) -> tuple[int | None, int | None]:
    if not text:
        return None, None
    parts = [p.strip() for p in str(text).split("/", 1)]
    numbers = [int(p) if p.isdigit() else None for p in parts]
    return numbers[0], numbers[1] if len(numbers) > 1 else None


def replaygain_values(processed: Processed | None) -> tuple[str, str] | None:
    if processed is None or processed.loudness_lufs is None:
        return None
    gain = _RG_REFERENCE_LUFS - processed.loudness_lufs
    peak = 10 ** ((processed.true_peak_db or 0.0) / 20)
    return f"{gain:+.2f} dB", f"{peak:.6f}"


def write_error(exc: BaseException, path: Path) -> Exception:
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, OSError) and cause.errno in (errno.ENOSPC, errno.EROFS, errno.EDQUOT):
            return DiskError(f"cannot write tags to {path}: {cause.strerror}; free space "
                             "or make the staging directory writable")  # fmt: skip
        cause = cause.__cause__ or cause.__context__
    return PermanentError(f"cannot write tags to {path}: {exc}")
