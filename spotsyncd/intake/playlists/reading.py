"""A dropped playlist file as the same per-line results a link file gives, so the inbox, its
report and ``get`` treat both alike: one result per entry (its link, or why it has none), then one
per item the file held but could not describe."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from spotsyncd.intake.links import LineResult, LinkFileError, open_link_file
from spotsyncd.intake.playlists.entries import MAX_FILE_BYTES, PlaylistFile, PlaylistFileError
from spotsyncd.intake.playlists.formats import read_playlist_file
from spotsyncd.intake.playlists.links import entry_link


def read_playlist(path: Path) -> PlaylistFile:
    """Read ``path`` (never through a symlink), or raise :class:`LinkFileError` saying why."""
    try:
        with open_link_file(path) as stream:
            data = stream.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise LinkFileError(f"{path}: read failed: {exc.strerror}") from None
    try:
        return read_playlist_file(data, path.name)
    except PlaylistFileError as exc:
        raise LinkFileError(f"{path}: {exc}") from None


def playlist_results(parsed: PlaylistFile) -> Iterator[LineResult]:
    """One :class:`LineResult` per entry; an entry whose link came earlier is left out."""
    seen: set[str] = set()
    named = len(parsed.collections) > 1
    for collection in parsed.collections:
        for entry in collection.entries:
            text = entry.describe()
            if named and collection.name:
                text = f"{collection.name}: {text}"
            link = entry_link(entry)
            if isinstance(link, str):
                yield LineResult(entry.position, text, error=link)
            elif link.key not in seen:
                seen.add(link.key)
                yield LineResult(entry.position, text, link=link)
    for position, text, why in parsed.problems:
        yield LineResult(position, text, error=why)
