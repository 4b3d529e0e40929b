"""Plain values passed between layers: frozen dataclasses and StrEnums, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

EPISODE_KEY_PREFIX = "podcast:"  # a feed's episode: ``podcast:<feed digest>:<episode digest>``


class JobState(StrEnum):
    PENDING = "pending"
    WAITING = "waiting"  # fast retries spent: a slow retry is due at ``retry_at``
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    REVIEW = "review"  # no candidate's audio verified as the recording asked: the user decides
    # Set aside by a follow's window (``since``, ``keep_last``, ``--new-only``): recorded, not
    # fetched, and not a failure; ``retry KEY`` fetches it.
    SKIPPED = "skipped"


class Source(StrEnum):
    """Where a link's audio and metadata come from."""

    SPOTIFY = "spotify"
    YOUTUBE = "youtube"
    GENERIC = "generic"  # any other http(s) URL handed to yt-dlp
    SEARCH = "search"  # a free-text line ("Artist - Title"): found by searching


class LinkKind(StrEnum):
    TRACK = "track"  # one recording
    COLLECTION = "collection"  # album, playlist, channel, feed: expands into tracks
    UNKNOWN = "unknown"  # a generic URL: yt-dlp decides whether it is one item or a list


@dataclass(frozen=True)
class Link:
    """One accepted line of a link file, normalised.

    ``key`` is the stable identity (``spotify:track:ID``, ``youtube:VIDEO_ID``,
    ``spotify:playlist:ID``, ``url:https://host/path``); ``url`` is what to fetch.
    ``override_url`` is the audio to use instead of searching (``SPOTIFY | AUDIO`` lines).
    """

    key: str
    url: str
    source: Source
    kind: LinkKind
    override_url: str | None = None
    follow: bool = False  # the line said ``follow URL``


@dataclass(frozen=True)
class TrackMeta:
    """Everything we know about a recording, from whichever source knows best."""

    title: str | None = None
    artists: tuple[str, ...] = ()
    album: str | None = None
    album_artist: str | None = None
    track_number: int | None = None
    track_total: int | None = None
    disc_number: int | None = None
    disc_total: int | None = None
    date: str | None = None  # YYYY, YYYY-MM or YYYY-MM-DD
    genre: str | None = None
    isrc: str | None = None
    duration_s: float | None = None
    explicit: bool | None = None
    source_url: str | None = None
    cover_url: str | None = None
    # Podcast episodes: the description (a comment tag), chapters as (start seconds, title),
    # and a Podcasting 2.0 chapters file to fetch when filing (like ``cover_url``).
    comment: str | None = None
    chapters: tuple[tuple[float, str], ...] = ()
    chapters_url: str | None = None

    @property
    def artist(self) -> str | None:
        return ", ".join(self.artists) if self.artists else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "artists": list(self.artists),
            "album": self.album,
            "album_artist": self.album_artist,
            "track_number": self.track_number,
            "track_total": self.track_total,
            "disc_number": self.disc_number,
            "disc_total": self.disc_total,
            "date": self.date,
            "genre": self.genre,
            "isrc": self.isrc,
            "duration_s": self.duration_s,
            "explicit": self.explicit,
            "source_url": self.source_url,
            "cover_url": self.cover_url,
            "comment": self.comment,
            "chapters": [list(c) for c in self.chapters],
            "chapters_url": self.chapters_url,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> TrackMeta:
        if not data:
            return cls()
        known: dict[str, Any] = {k: data.get(k) for k in cls.__dataclass_fields__ if k in data}
        known["artists"] = tuple(data.get("artists") or ())
        known["chapters"] = tuple(
            (float(c[0]), str(c[1])) for c in data.get("chapters") or () if len(c) == 2
        )
        return cls(**known)

    def merged_over(self, weaker: TrackMeta) -> TrackMeta:
        """Fields of ``self`` win; gaps are filled from ``weaker``."""
        values: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            mine = getattr(self, name)
            values[name] = mine if mine not in (None, ()) else getattr(weaker, name)
        return TrackMeta(**values)


@dataclass(frozen=True)
class ListedItem:
    """One entry of a collection (playlist, album, feed) as a source lists it."""

    link: Link
    meta: TrackMeta = field(default_factory=TrackMeta)


@dataclass(frozen=True)
class Listing:
    """A collection's items in order, and a fingerprint that changes when they change."""

    title: str | None
    items: tuple[ListedItem, ...]
    fingerprint: str
    notes: tuple[str, ...] = ()  # what the source could not see (e.g. "embed page: first 100 only")
    image_url: str | None = None  # the collection's own artwork (playlist cover, thumbnail)


@dataclass(frozen=True)
class Downloaded:
    """A finished download in a staging folder, with what yt-dlp said about it."""

    path: Path
    info: dict[str, Any]
    meta: TrackMeta


@dataclass(frozen=True)
class Processed:
    """A finished audio file in a staging folder."""

    path: Path
    duration_s: float
    loudness_lufs: float | None = None
    gain_db: float | None = None
    true_peak_db: float | None = None
    trimmed_s: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)  # seconds: probe, analysis, encode
    lead_trimmed_s: float = 0.0  # of ``trimmed_s``, what came off the start (chapters move)
    fingerprint: Fingerprint | None = None  # taken by the encode when asked (identity on)


@dataclass(frozen=True)
class Lyrics:
    """A song's words: plain text and/or time-synced LRC (``[mm:ss.xx] line``)."""

    plain: str | None = None
    synced: str | None = None
    instrumental: bool = False

    def __bool__(self) -> bool:
        return bool(self.plain or self.synced)


@dataclass
class Progress:
    """Mutable progress of one running job (fed by yt-dlp's hooks)."""

    downloaded_bytes: int = 0
    total_bytes: int | None = None
    speed: float | None = None
    eta: float | None = None
    stage: str = "downloading"  # listing, searching, downloading, processing, tagging

    @property
    def percent(self) -> float | None:
        if not self.total_bytes:
            return None
        return min(100.0, 100.0 * self.downloaded_bytes / self.total_bytes)


@dataclass(frozen=True)
class TrackInfo:
    """What matching knows about the wanted recording (from Spotify)."""

    title: str
    artists: tuple[str, ...] | list[str]
    album: str | None = None
    duration_s: float | None = None
    isrc: str | None = None
    explicit: bool | None = None


@dataclass(frozen=True)
class Candidate:
    """One search result that might be the wanted recording."""

    video_id: str
    title: str
    artists: tuple[str, ...] = ()
    channel: str | None = None
    album: str | None = None
    duration_s: float | None = None
    kind: str = "video"  # "song" (YouTube Music song) or "video"
    explicit: bool | None = None
    views: int | None = None
    url: str | None = None  # where to download it; defaults to the YouTube watch URL
    provider: str = ""  # which searcher found it
    year: str | None = None  # release year, where the source says (YouTube Music songs)
    cover_url: str | None = None  # the largest artwork or thumbnail the source lists

    @property
    def watch_url(self) -> str:
        if self.url:
            return self.url
        if self.kind == "song":
            return f"https://music.youtube.com/watch?v={self.video_id}"
        return f"https://www.youtube.com/watch?v={self.video_id}"


@dataclass(frozen=True)
class Fingerprint:
    """A Chromaprint fingerprint (base64, as AcoustID takes it) and the audio's length."""

    value: str
    duration_s: float


class Verdict(StrEnum):
    """What a track's fingerprint says about the audio filed (see ``spotsyncd.identity``)."""

    VERIFIED = "verified"  # the recording asked for, or a documented equivalent
    UNVERIFIED = "unverified"  # no key, no fingerprint match, a service down: filed as before
    MISMATCH = "mismatch"  # the audio is a different recording


@dataclass(frozen=True)
class Identity:
    """Who a filed track is on MusicBrainz and AcoustID, and the fingerprint's verdict.

    The IDs are MusicBrainz IDs (MBIDs) as Picard writes them into tags; ``reason`` says in
    words why the verdict is what it is (shown by ``why``, the API and the dashboard)."""

    verdict: Verdict = Verdict.UNVERIFIED
    reason: str = ""
    recording_id: str | None = None
    recording_title: str | None = None
    release_id: str | None = None
    release_group_id: str | None = None
    release_track_id: str | None = None
    artist_ids: tuple[str, ...] = ()
    album_artist_ids: tuple[str, ...] = ()
    acoustid_id: str | None = None
    acoustid_score: float | None = None
    # The recordings MusicBrainz lists under the same ISRC: the same master, any of them
    # verifies (the asked recording first).
    equivalent_ids: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": str(self.verdict),
            "reason": self.reason,
            "recording_id": self.recording_id,
            "recording_title": self.recording_title,
            "release_id": self.release_id,
            "release_group_id": self.release_group_id,
            "release_track_id": self.release_track_id,
            "artist_ids": list(self.artist_ids),
            "album_artist_ids": list(self.album_artist_ids),
            "acoustid_id": self.acoustid_id,
            "acoustid_score": self.acoustid_score,
            "equivalent_ids": list(self.equivalent_ids),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Identity | None:
        if not data:
            return None
        known: dict[str, Any] = {k: data.get(k) for k in cls.__dataclass_fields__ if k in data}
        known["verdict"] = Verdict(data.get("verdict") or Verdict.UNVERIFIED)
        known["reason"] = str(data.get("reason") or "")
        known["artist_ids"] = tuple(data.get("artist_ids") or ())
        known["album_artist_ids"] = tuple(data.get("album_artist_ids") or ())
        known["equivalent_ids"] = tuple(data.get("equivalent_ids") or ())
        return cls(**known)
