"""What a playlist file holds, whatever its format: named collections of entries."""

from __future__ import annotations

from dataclasses import dataclass, field

from spotsyncd.core.errors import LinkError

MAX_FILE_BYTES = 64 * 1024 * 1024  # a 10,000-song Exportify CSV is ~5 MB; JSON and XML load whole


class PlaylistFileError(LinkError):
    """The file is none of the formats read here, or too damaged to read at all."""

    error_class = "bad_playlist_file"


class NotAPlaylistError(PlaylistFileError):
    """The file is none of the formats read here at all (rather than one of them, damaged)."""


@dataclass(frozen=True)
class Entry:
    """One item of a playlist, as the file describes it. Every field is optional but one of
    ``spotify_uri``, ``url`` or ``title`` with ``artists`` is needed to find it."""

    position: int  # 1-based: the line of an M3U or CSV, the item's index elsewhere
    title: str | None = None
    artists: tuple[str, ...] = ()
    album: str | None = None
    duration_s: float | None = None
    isrc: str | None = None
    spotify_uri: str | None = None  # spotify:track:ID, spotify:episode:ID, spotify:album:ID …
    url: str | None = None  # an http(s) address given by the file
    path: str | None = None  # a local path: never read, only its name may say what it was
    recording_mbid: str | None = None  # a MusicBrainz recording the file names

    def describe(self) -> str:
        """The entry as a person would name it in a report."""
        if self.artists and self.title:
            return f"{', '.join(self.artists)} - {self.title}"
        return self.title or self.spotify_uri or self.url or self.path or f"item {self.position}"


@dataclass
class Collection:
    """A named list: one playlist of an export, the liked songs, or the whole file."""

    name: str | None
    entries: list[Entry] = field(default_factory=list)


@dataclass
class PlaylistFile:
    """A read playlist file: its format's name, its collections, and what could not be read."""

    format: str
    collections: list[Collection]
    problems: list[tuple[int, str, str]] = field(default_factory=list)  # position, text, why

    @property
    def entry_count(self) -> int:
        return sum(len(c.entries) for c in self.collections)
