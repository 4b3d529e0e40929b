"""The seams between domain logic and the outside world.

Domain code (pipeline, sync, matching) depends on these small protocols; adapters implement
them, and tests pass loopback-backed or in-memory implementations.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from spotsyncd.core.config import AudioConfig
from spotsyncd.core.models import (
    Candidate,
    Downloaded,
    Fingerprint,
    Identity,
    Link,
    Listing,
    Lyrics,
    Processed,
    Progress,
    TrackMeta,
)

ProgressCallback = Callable[[Progress], None]


class Downloader(Protocol):
    def download(
        self,
        url: str,
        dest_dir: Path,
        *,
        progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> Downloaded:
        """Fetch the best audio of ``url`` into ``dest_dir`` (resuming a ``.part`` there).

        Raises TransientError / BotCheckError / RateLimitedError / PermanentError /
        CancelledError. Never reads local files: ``url`` must be http(s).
        """
        ...

    def list(self, url: str) -> Listing | None:
        """Flat-list a collection (playlist, channel, feed, set) without per-item requests.

        Returns None when ``url`` is a single item, not a list.
        """
        ...


class AudioProcessor(Protocol):
    def process(
        self,
        src: Path,
        dest_dir: Path,
        settings: AudioConfig,
        *,
        cancel: threading.Event | None = None,
        fingerprint: bool = False,
    ) -> Processed:
        """Decode, trim silence, normalise and encode ``src`` into ``dest_dir``; with
        ``fingerprint``, ``Processed.fingerprint`` is the Chromaprint fingerprint of the first
        120 s of ``src`` taken from the same decode, when there was one (not a stream copy)."""
        ...


class Tagger(Protocol):
    def write(
        self,
        path: Path,
        meta: TrackMeta,
        *,
        key: str,
        cover: bytes | None = None,
        replaygain: Processed | None = None,
        id3_version: int = 4,
        identity: Identity | None = None,
    ) -> None:
        """Write ``meta`` (and cover art, ReplayGain, our stable key and, with ``identity``,
        the MusicBrainz and AcoustID IDs Picard writes) into ``path``."""
        ...

    def read(self, path: Path) -> TrackMeta:
        """The tags already embedded in ``path``."""
        ...

    def read_key(self, path: Path) -> str | None:
        """The spotsyncd key we wrote into ``path``, if any."""
        ...


class Searcher(Protocol):
    name: str

    def search(self, query: str, *, limit: int = 10) -> Sequence[Candidate]:
        """Candidates for ``query``, best guess first. Raises TransientError on trouble."""
        ...


class LyricsStep(Protocol):
    """Lyrics for a finished track; never raises (a lyrics failure never fails a track)."""

    def embed(self, path: Path, meta: TrackMeta, *, duration_s: float | None) -> Lyrics | None:
        """Find lyrics for ``meta`` and embed them into the staged file ``path``."""
        ...

    def place_beside(self, audio: Path, lyrics: Lyrics | None) -> None:
        """After filing: an ``.lrc`` beside ``audio`` when configured."""
        ...


class LookupCache(Protocol):
    """Answers of MusicBrainz and AcoustID kept in the ledger, shared by every process."""

    def cached_answer(self, service: str, key: str, max_age_s: float) -> str | None: ...

    def remember_answer(self, service: str, key: str, body: str) -> None: ...


class IdentityStep(Protocol):
    """Who a track is (MusicBrainz) and whether its audio is that recording (AcoustID).

    The lookups wait on the services' shared rate budget and may take seconds: call them
    holding no download or CPU slot. They never raise for a service's trouble: a service
    down, slow or refusing gives ``None`` or an unverified identity."""

    def recording_for(self, meta: TrackMeta, *, search: bool = True) -> Identity | None:
        """The MusicBrainz recording (and release) ``meta`` names, or None: by its ISRC, and
        with ``search``, when the ISRC names none, by artist, title and length."""
        ...

    @property
    def fingerprints(self) -> bool:
        """Whether a fingerprint is looked up (an AcoustID key is set): if not, none is taken."""
        ...

    def fingerprint(self, path: Path) -> Fingerprint | None:
        """The Chromaprint fingerprint of the first 120 s of ``path`` by a process of its own
        (CPU work); the pipeline asks for it only when the encode took none."""
        ...

    def check(
        self, fingerprint: Fingerprint | None, asked: Identity | None, meta: TrackMeta
    ) -> Identity:
        """The verdict: is the fingerprinted audio the recording ``asked`` (or ``meta``)?"""
        ...


LinkOf = Callable[[str], Link]
"""The intake's link parser, handed to sources that must key the URLs they list."""


class MetadataSource(Protocol):
    """What the pipeline needs from the Spotify adapter."""

    def track(self, track_id: str) -> TrackMeta: ...

    def list(self, key: str) -> Listing: ...


class Catalog(Protocol):
    """Listings a source keeps for keys of its own (YouTube Music artists and albums)."""

    def list(self, key: str) -> Listing: ...

    def snapshot(self, key: str) -> str | None:
        """The listing's fingerprint in one cheap request, or None when it cannot tell."""
        ...


class FeedReader(Protocol):
    """Podcast and RSS/Atom feeds (``sources.feeds.FeedSource``)."""

    def episodes(self, url: str, key: str, *, if_changed: bool = False) -> Listing | None:
        """The feed at ``url`` as episodes keyed under ``key``; None when ``url`` is no feed.
        ``if_changed``: a follow's conditional poll (all episodes); otherwise the newest few."""
        ...

    def chapters(self, url: str) -> tuple[tuple[float, str], ...]:
        """A Podcasting 2.0 chapters file as (start seconds, title); () when unreadable."""
        ...


# Waits for this process's turn at a service under the budget every process shares.
SharedTurn = Callable[[str], AbstractContextManager[None]]


@dataclass
class Adapters:
    downloader: Downloader
    processor: AudioProcessor
    tagger: Tagger
    searchers: Sequence[Searcher] = ()
    spotify: MetadataSource | None = None
    youtube_music: Catalog | None = None  # youtube:artist: and youtube:album: keys
    fetch_cover: Callable[[str | None], bytes | None] = lambda url: None
    lyrics: LyricsStep | None = None
    feeds: FeedReader | None = None  # podcast feeds, read before yt-dlp lists an address
    # Built once the ledger is open (it keeps the answers), with the per-source budget every
    # process shares (``turn(service)``; None: this process's own pacer); None: identity is off.
    identity: Callable[[LookupCache, SharedTurn | None], IdentityStep] | None = None
