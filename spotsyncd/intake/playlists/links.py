"""A playlist entry as the link the rest of spotsyncd understands, or the reason it is none.

A Spotify URI beats everything (Spotify's metadata and ISRC are then used when reachable); a web
address comes next; otherwise the artist and title become a search. A local path is never read:
its ``#EXTINF`` title (or its file name) may still say what song it was."""

from __future__ import annotations

import re
from pathlib import PurePosixPath, PureWindowsPath
from urllib.parse import unquote

from spotsyncd.core.errors import LinkError
from spotsyncd.core.models import Link
from spotsyncd.intake.links import parse_line
from spotsyncd.intake.playlists.entries import Entry
from spotsyncd.intake.playlists.m3u import split_artist_title
from spotsyncd.intake.search_lines import search_link

_TRACK_NUMBER = re.compile(r"^\d{1,3}(?:\s*[-._]\s*|\s+)")


def _file_name(path: str) -> str:
    """A file name as a person reads it: no folder, no extension, no leading track number
    ("20 - gravity.mp3" is a title, not the artist "20")."""
    windows = "\\" in path and "/" not in path
    stem = (PureWindowsPath(path) if windows else PurePosixPath(path)).stem
    return _TRACK_NUMBER.sub("", unquote(stem))


def entry_link(entry: Entry) -> Link | str:
    """The link ``entry`` stands for, or a sentence saying why it has none."""
    try:
        if entry.spotify_uri:
            return parse_line(entry.spotify_uri)
        if entry.url:
            return parse_line(entry.url)
        artists, title = entry.artists, entry.title
        if not (artists and title) and entry.path:
            artists, title = split_artist_title(title or _file_name(entry.path))
        if artists and title:
            return search_link(f"{artists[0]} - {title}")
    except LinkError as exc:
        return str(exc)
    if entry.path:
        return (
            "a local file with no 'Artist - Title' in its #EXTINF line or file name; "
            "local files are never read"
        )
    return "no link, and no artist and title to search for"
