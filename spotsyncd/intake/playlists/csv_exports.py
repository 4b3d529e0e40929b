"""CSV exports, told apart by their header: Exportify (its classic, 2022 and 2024 headers),
TuneMyMusic, Google Takeout's YouTube playlists (old and new layouts), and any other converter's
``artist,title[,album][,duration]`` with a header naming the columns."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator

from spotsyncd.intake.playlists.entries import (
    Collection,
    Entry,
    NotAPlaylistError,
    PlaylistFile,
    PlaylistFileError,
)
from spotsyncd.intake.playlists.text import clean, seconds

_WEB = ("http://", "https://")
_SPOTIFY_ID = re.compile(r"^[A-Za-z0-9]{22}$")
_SPOTIFY_URI = re.compile(r"^spotify:(track|episode):([A-Za-z0-9]{22})$")
_VIDEO_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
_ISRC = re.compile(r"^[A-Z]{2}[A-Z0-9]{3}\d{7}$")
_NO_SPACE_COMMA = re.compile(r",(?!\s)")
_UNESCAPED_COMMA_SPACE = re.compile(r"(?<!\\),\s+")

Row = dict[str, str]
Rows = Iterator[tuple[int, Row]]


def _norm(name: str) -> str:
    return " ".join(name.replace("\ufeff", "").split()).lower()


def _rows(lines: list[str]) -> tuple[list[str], Iterator[tuple[int, Row]]]:
    """The header (normalised names) and the rows with their line numbers."""
    sample = "\n".join(lines[:20])
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(lines, dialect)
    header = [_norm(name) for name in next(reader, [])]

    def rows() -> Iterator[tuple[int, Row]]:
        for values in reader:
            if not any(value.strip() for value in values):
                continue
            yield reader.line_num, dict(zip(header, values, strict=False))

    return header, rows()


def _spotify(value: str | None) -> str | None:
    text = clean(value)
    if not text:
        return None
    if _SPOTIFY_URI.match(text):
        return text
    if _SPOTIFY_ID.match(text):
        return f"spotify:track:{text}"
    return None


def _isrc(value: str | None) -> str | None:
    text = (clean(value) or "").upper()
    return text if _ISRC.match(text) else None


def _artists(value: str | None, *, joiner_has_space: bool) -> tuple[str, ...]:
    text = clean(value)
    if not text:
        return ()
    # Exportify's 2022/2024 headers join names with a bare comma, so a comma followed by a space
    # belongs to a name ("Tyler, The Creator"); the classic header joins with ", " and escapes a
    # name's own comma ("Radio Symphony Orchestra\\, Berlin").
    parts = _UNESCAPED_COMMA_SPACE.split(text) if joiner_has_space else _NO_SPACE_COMMA.split(text)
    return tuple(part.replace("\\,", ",").strip() for part in parts if part.strip())


def _exportify(header: list[str], rows: Rows, name: str | None) -> PlaylistFile:
    classic = "track uri" in header
    id_column = next(c for c in ("track uri", "track id", "spotify id") if c in header)
    duration = "track duration (ms)" if "track duration (ms)" in header else "duration (ms)"
    entries = [
        Entry(
            line,
            title=clean(row.get("track name")),
            artists=_artists(row.get("artist name(s)"), joiner_has_space=classic),
            album=clean(row.get("album name")),
            duration_s=seconds(row.get(duration), unit=0.001),
            isrc=_isrc(row.get("isrc")),
            spotify_uri=_spotify(row.get(id_column)),
        )
        for line, row in rows
    ]
    return PlaylistFile("Exportify CSV", [Collection(name, entries)])


def _tunemymusic(header: list[str], rows: Rows, name: str | None) -> PlaylistFile:
    collections: dict[str, Collection] = {}
    for line, row in rows:
        playlist = clean(row.get("playlist name")) or name or "Imported"
        entry = Entry(
            line,
            title=clean(row.get("track name")),
            artists=_artists(row.get("artist name"), joiner_has_space=True),
            album=clean(row.get("album")),
            isrc=_isrc(row.get("isrc")),
            spotify_uri=_spotify(row.get("spotify - id")),
        )
        collections.setdefault(playlist, Collection(playlist)).entries.append(entry)
    return PlaylistFile("TuneMyMusic CSV", list(collections.values()))


def _video(line: int, value: str | None) -> Entry | None:
    video = (value or "").strip()  # Takeout writes an id starting with '-' after a space
    if not _VIDEO_ID.match(video):
        return None
    return Entry(line, url=f"https://www.youtube.com/watch?v={video}")


def _takeout(lines: list[str], name: str | None) -> PlaylistFile:
    """Both layouts: the older one starts with a block describing the playlist, a blank line,
    then ``Video Id,Time Added``; the newer ``<title>-videos.csv`` is the video block alone."""
    title = name.removesuffix("-videos") if name else None
    start = 0
    for index, line in enumerate(lines):
        if _norm(line.split(",", 1)[0]) == "video id":
            start = index
            break
        if index == 1 and _norm(lines[0].split(",", 1)[0]) == "playlist id":
            header, rows = _rows(lines[:2])
            title = next((clean(row.get("title")) for _, row in rows), None) or title
    header, rows = _rows(lines[start:])
    entries: list[Entry] = []
    problems: list[tuple[int, str, str]] = []
    for number, row in rows:
        raw = row.get("video id", "")
        entry = _video(start + number, raw)
        if entry is None:
            problems.append((start + number, raw.strip(), "not a YouTube video id"))
        else:
            entries.append(entry)
    return PlaylistFile("Google Takeout playlist", [Collection(title, entries)], problems)


_LINK_COLUMNS = ("url", "link", "uri", "spotify uri", "youtube url")
_TITLE_COLUMNS = ("title", "track", "track name", "song", "song name", "name")
_ARTIST_COLUMNS = ("artist", "artists", "artist name", "artist name(s)", "creator")


def _generic(header: list[str], rows: Rows, name: str | None) -> PlaylistFile:
    title = next(c for c in _TITLE_COLUMNS if c in header)
    artist = next(c for c in _ARTIST_COLUMNS if c in header)
    album = next((c for c in ("album", "album name", "release") if c in header), None)
    duration_ms = next((c for c in header if "duration" in c and "ms" in c), None)
    duration_s = next((c for c in header if c in ("duration", "length", "duration (s)")), None)
    link = next(
        (c for c in header if c in ("url", "link", "uri", "spotify uri", "youtube url")), None
    )
    entries: list[Entry] = []
    for line, row in rows:
        target = clean(row.get(link)) if link else None
        entries.append(
            Entry(
                line,
                title=clean(row.get(title)),
                artists=_artists(row.get(artist), joiner_has_space=True),
                album=clean(row.get(album)) if album else None,
                duration_s=(
                    seconds(row.get(duration_ms), unit=0.001)
                    if duration_ms
                    else seconds(row.get(duration_s))
                    if duration_s
                    else None
                ),
                isrc=_isrc(row.get("isrc")),
                spotify_uri=_spotify(target),
                url=target
                if target and target.lower().startswith(("http://", "https://"))
                else None,
            )
        )
    return PlaylistFile("CSV playlist", [Collection(name, entries)])


def looks_like_csv_export(text: str) -> bool:
    """Whether the first line is a header this module knows."""
    first = _norm(text.lstrip("\ufeff").split("\n", 1)[0])
    return (
        any(
            marker in first
            for marker in ("track uri", "spotify id", "track id", "playlist id", "video id")
        )
        or (
            any(t in first.split(",") for t in _TITLE_COLUMNS)
            and any(a in first.split(",") for a in _ARTIST_COLUMNS)
        )
        or first.startswith("total liked videos")
    )


def read_csv(text: str, name: str | None) -> PlaylistFile:
    lines = text.lstrip("\ufeff").splitlines()
    first = _norm(lines[0].split(",", 1)[0]) if lines else ""
    if first == "total liked videos":
        raise PlaylistFileError(
            "Google Takeout's 'Liked videos.csv' holds only a count, not the videos; "
            "export the liked videos as a playlist instead"
        )
    if first in ("playlist id", "video id"):
        header, _ = _rows(lines[:1])
        if first == "playlist id" and "playlist video order" in header:
            raise PlaylistFileError(
                "Google Takeout's playlists.csv lists playlists, not their songs; "
                "drop the '<title>-videos.csv' files beside it instead"
            )
        return _takeout(lines, name)
    header, rows = _rows(lines)
    if {"track name", "artist name(s)"} <= set(header) and (
        {"track uri", "track id", "spotify id"} & set(header)
    ):
        return _exportify(header, rows, name)
    if {"track name", "artist name", "playlist name"} <= set(header):
        return _tunemymusic(header, rows, name)
    if any(c in header for c in _TITLE_COLUMNS) and any(c in header for c in _ARTIST_COLUMNS):
        return _generic(header, rows, name)
    raise NotAPlaylistError(
        f"a CSV file whose header ({', '.join(header[:6])}) names no artist and title columns; "
        "export with a header such as 'artist,title,album'"
    )
