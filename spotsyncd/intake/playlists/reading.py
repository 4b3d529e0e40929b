"""A dropped playlist file as the same per-line results a link file gives, so the inbox, its
report and ``get`` treat both alike: one result per entry (its link and what the file says of
it, or why it has none), then one per item the file held but could not describe.

Each playlist of the file is also a :class:`NamedList`: its name and its tracks' keys in order,
which the ledger keeps as a collection (and the library as an ``.m3u8``)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from spotsyncd.core.models import LinkKind, TrackMeta
from spotsyncd.intake.links import LineResult, LinkFileError, open_link_file
from spotsyncd.intake.playlists.entries import (
    MAX_FILE_BYTES,
    Entry,
    PlaylistFile,
    PlaylistFileError,
)
from spotsyncd.intake.playlists.formats import read_playlist_file
from spotsyncd.intake.playlists.links import entry_link
from spotsyncd.intake.playlists.spotify_export import SAVED_ALBUMS


@dataclass
class NamedList:
    """One playlist of a file: its name and the keys of its tracks, in the file's order."""

    name: str
    keys: list[str] = field(default_factory=list)
    origin: str | None = None  # the file it came from, once its reader knows


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


def entry_meta(entry: Entry) -> TrackMeta | None:
    """What the file says of the track: its tags when nothing better is reachable, and the
    matcher's hints (album, duration, ISRC) either way."""
    if not (entry.title or entry.artists or entry.album or entry.duration_s or entry.isrc):
        return None
    return TrackMeta(
        title=entry.title,
        artists=entry.artists,
        album=entry.album,
        duration_s=entry.duration_s,
        isrc=entry.isrc,
    )


def playlist_results(
    parsed: PlaylistFile, *, lists: list[NamedList] | None = None, fallback_name: str = "Imported"
) -> Iterator[LineResult]:
    """One :class:`LineResult` per entry; an entry whose link came earlier is left out (it is
    one track), though every playlist that holds it lists it in ``lists``. Saved albums are
    filed as albums, not listed as one more playlist."""
    seen: set[str] = set()
    named = len(parsed.collections) > 1
    for collection in parsed.collections:
        listed = NamedList(collection.name or fallback_name)
        for entry in collection.entries:
            text = entry.describe()
            if named and collection.name:
                text = f"{collection.name}: {text}"
            link = entry_link(entry)
            if isinstance(link, str):
                yield LineResult(entry.position, text, error=link)
                continue
            if link.kind != LinkKind.COLLECTION:
                listed.keys.append(link.key)
            if link.key not in seen:
                seen.add(link.key)
                yield LineResult(entry.position, text, link=link, meta=entry_meta(entry))
        if lists is not None and listed.keys and collection.name != SAVED_ALBUMS:
            lists.append(listed)
    for position, text, why in parsed.problems:
        yield LineResult(position, text, error=why)
