"""M3U / M3U8 (``#EXTINF:seconds,Artist - Title`` before each entry) and PLS (``FileN=``,
``TitleN=``, ``LengthN=``). An entry is a URL, or a local path that is never opened."""

from __future__ import annotations

import re

from spotsyncd.intake.playlists.entries import Collection, Entry, PlaylistFile
from spotsyncd.intake.playlists.text import clean, seconds

_EXTINF = re.compile(r"^#EXTINF:\s*(-?[\d.]+)?[^,]*,(.*)$", re.IGNORECASE)
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_ARTIST_TITLE = re.compile(r"\s+[-–—]\s+")
_PLS_KEY = re.compile(r"^(File|Title|Length)(\d+)$", re.IGNORECASE)


def split_artist_title(text: str | None) -> tuple[tuple[str, ...], str | None]:
    """``Artist - Title`` as (artists, title); text without such a dash is a title alone."""
    if not text:
        return (), None
    parts = _ARTIST_TITLE.split(text, maxsplit=1)
    if len(parts) == 2 and parts[0].strip() and parts[1].strip():
        return (parts[0].strip(),), parts[1].strip()
    return (), text


def _entry(position: int, target: str, title: str | None, duration: float | None) -> Entry:
    artists, name = split_artist_title(title)
    if _URL.match(target):
        return Entry(position, title=name, artists=artists, duration_s=duration, url=target)
    return Entry(position, title=name, artists=artists, duration_s=duration, path=target)


def read_m3u(text: str, name: str | None) -> PlaylistFile:
    entries: list[Entry] = []
    title: str | None = None
    duration: float | None = None
    for line_no, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        match = _EXTINF.match(line)
        if match:
            duration, title = seconds(match.group(1)), clean(match.group(2))
            continue
        if line.startswith("#"):
            continue  # #EXTM3U, #PLAYLIST, #EXTALB and comments
        entries.append(_entry(line_no, line, title, duration))
        title = duration = None
    return PlaylistFile("M3U playlist", [Collection(name, entries)])


def read_pls(text: str, name: str | None) -> PlaylistFile:
    fields: dict[int, dict[str, str]] = {}
    for raw in text.splitlines():
        key, sep, value = raw.strip().partition("=")
        match = _PLS_KEY.match(key.strip()) if sep else None
        if match:
            fields.setdefault(int(match.group(2)), {})[match.group(1).lower()] = value.strip()
    entries = [
        _entry(number, item["file"], clean(item.get("title")), seconds(item.get("length")))
        for number, item in sorted(fields.items())
        if item.get("file")
    ]
    return PlaylistFile("PLS playlist", [Collection(name, entries)])
