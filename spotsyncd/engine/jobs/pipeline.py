"""One job, start to finish: resolve → (match) → download → identify → process → tag → file.

``Pipeline.run`` takes one job from start to finish → ``JobResult`` so it can run in a thread
here or, later, in a worker process elsewhere; the worker pool passes ``stages`` so that its
network half and its CPU half take turns with other jobs (see stages.py). It raises the
errors of ``errors.py``; the worker decides what they mean for the job's state. Where its
files go is filing.py's rule, which metadata they carry metadata.py's, who the audio is
identity_check.py's.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from spotsyncd.core.config import Config
from spotsyncd.core.errors import (
    BotCheckError,
    CancelledError,
    PermanentError,
    RateLimitedError,
    TransientError,
)
from spotsyncd.core.models import (
    EPISODE_KEY_PREFIX,
    Candidate,
    Downloaded,
    Identity,
    LinkKind,
    Listing,
    Lyrics,
    Processed,
    Progress,
    Source,
    TrackInfo,
    TrackMeta,
)
from spotsyncd.core.protocols import (
    Adapters,
    MetadataSource,
)
from spotsyncd.engine.jobs import identity_check, matcher
from spotsyncd.engine.jobs.filing import (
    audio_settings_for,
    file_track,
    remove_replaced,
    staging_dir_for,
)
from spotsyncd.engine.jobs.job_ledger import PipelineLedger
from spotsyncd.engine.jobs.metadata import chapters_after_trim, merged_meta, typed_meta
from spotsyncd.engine.jobs.stages import Stages, cpu_step, io_step, timed
from spotsyncd.engine.resilience.budgets import SourceBudgets
from spotsyncd.engine.resilience.circuits import Circuits
from spotsyncd.engine.resilience.guard import GENERIC, Guard
from spotsyncd.ledger import ClaimedJob, TrackRow

log = logging.getLogger(__name__)

MEDIA_SUFFIXES = (".mp3", ".m4a", ".aac", ".opus", ".ogg", ".oga", ".flac", ".wav", ".wma",
                  ".mp4", ".m4b", ".webm", ".mka", ".aiff", ".alac")  # fmt: skip


@dataclass(frozen=True)
class JobResult:
    kind: str  # "file" | "expanded" | "already" | "duplicate"
    path: Path | None = None
    size_bytes: int = 0
    meta: TrackMeta = field(default_factory=TrackMeta)
    processed: Processed | None = None
    info: dict[str, Any] | None = None
    download_s: float = 0.0
    process_s: float = 0.0
    items: int = 0
    notes: tuple[str, ...] = ()  # what a listing could not see (e.g. embed page limits)
    same_as: TrackRow | None = None  # kind "duplicate": the filed track of this recording
    timings: dict[str, float] = field(default_factory=dict)  # seconds per step (see worker)
    children: tuple[int, ...] = ()  # track ids a listing expanded into
    identity: Identity | None = None  # who the audio is, and the fingerprint's verdict


@dataclass(frozen=True)
class Processing:
    """What ``Pipeline.process`` made, and the seconds it took."""

    processed: Processed
    seconds: float


@dataclass(frozen=True)
class _Fetched:
    """What the network half of a job hands to its CPU half."""

    staging: Path
    downloaded: Downloaded
    meta: TrackMeta
    cover: bytes | None
    download_s: float
    wanted: TrackMeta = field(default_factory=TrackMeta)  # what was asked, before the merge
    audio_url: str = ""
    identity: Identity | None = None


class Pipeline:
    def __init__(
        self,
        config: Config,
        ledger: PipelineLedger,
        adapters: Adapters,
        circuits: Circuits,
        budgets: SourceBudgets | None = None,
    ):
        """``budgets``: the per-source budgets shared by every process (None: no limits)."""
        self.config = config
        self.ledger = ledger
        self.adapters = adapters
        self.circuits = circuits
        self.guard = Guard(circuits, budgets)
        self.identity = (
            adapters.identity(ledger, budgets.turn if budgets is not None else None)
            if adapters.identity is not None
            else None
        )

    # ------------------------------------------------------------------ entry point

    def run(
        self,
        job: ClaimedJob,
        cancel: threading.Event,
        progress: Callable[[Progress], None] | None = None,
        *,
        stages: Stages | None = None,
    ) -> JobResult:
        """The whole job. With ``stages`` its network steps hold an I/O slot and its audio
        steps a CPU slot (see stages.py); without, it runs at once. A job that ends (filed,
        expanded, a duplicate, or found filed by an interrupted run) leaves nothing in staging;
        one that raises keeps its folder for the retry to resume, unless there is nothing in it
        to resume (it failed before a byte came: offline, refused, no match)."""
        staging = staging_dir_for(self.config, job.track.id)
        try:
            result = self._run(job, cancel, progress, stages)
        except BaseException:
            with contextlib.suppress(OSError):  # gone already, or being written elsewhere
                if not any(p.is_file() for p in staging.rglob("*")):
                    shutil.rmtree(staging)
            raise
        shutil.rmtree(staging, ignore_errors=True)
        return result

    def _run(
        self,
        job: ClaimedJob,
        cancel: threading.Event,
        progress: Callable[[Progress], None] | None,
        stages: Stages | None,
    ) -> JobResult:
        track = job.track
        timings: dict[str, float] = {}
        with io_step(stages, cancel, timings):
            if self._may_be_a_list(track):
                _stage(progress, "listing")
                with timed(timings, "listing"):
                    listing = self._list(track, cancel)
                if listing is not None:
                    options = dict(track.options)
                    if is_artist_key(track.key):  # its releases' tracks are checked for repeats
                        options["artist"] = track.key
                    added = self.ledger.expand_collection(
                        track.id, listing, options=options or None
                    )
                    return JobResult(
                        kind="expanded",
                        items=len(listing.items),
                        notes=listing.notes,
                        timings=timings,
                        children=tuple(a.track_id for a in added),
                    )
                if track.kind == LinkKind.COLLECTION:
                    raise PermanentError(f"{track.url} did not list any items")
            already = self._already_filed(track)
            if already is not None:
                return already
            fetched = self._fetch(track, cancel, progress, timings)
            if isinstance(fetched, JobResult):
                return fetched
        _check_cancel(cancel)
        # No MusicBrainz recording is a podcast episode: its feed is its identity.
        episode = track.key.startswith(EPISODE_KEY_PREFIX)
        if self.identity is not None and not episode:  # no slot held while it waits
            fetched, processing = identity_check.verify(
                self, self.identity, track, fetched, cancel, progress, stages, timings
            )
            with cpu_step(stages, cancel, timings):
                return self._file(track, fetched, processing, cancel, timings)
        with cpu_step(stages, cancel, timings):
            processing = self.process(track, fetched, cancel, timings)
            return self._file(track, fetched, processing, cancel, timings)

    # ------------------------------------------------------------------ collections

    @staticmethod
    def _may_be_a_list(track: TrackRow) -> bool:
        """Collections are listed; a generic link might be one (a feed, a set) unless it names
        a media file, which saves a second extraction per direct download."""
        if track.kind == LinkKind.COLLECTION:
            return True
        if track.kind == LinkKind.TRACK or track.override_url:
            return False
        path = urlsplit(track.url).path.lower()
        return not path.endswith(MEDIA_SUFFIXES)

    def _list(self, track: TrackRow, cancel: threading.Event) -> Listing | None:
        if track.source == Source.SPOTIFY:
            spotify = self._spotify()
            with self.guard.call("spotify", cancel):
                return spotify.list(track.key)
        if track.source == Source.YOUTUBE and track.key.startswith(
            ("youtube:artist:", "youtube:album:")
        ):
            if self.adapters.youtube_music is None:
                raise PermanentError("YouTube Music artists and albums need ytmusicapi")
            with self.guard.call("youtube", cancel):
                return self.adapters.youtube_music.list(track.key)
        lane = "youtube" if track.source == Source.YOUTUBE or _is_youtube(track.url) else GENERIC
        with self.guard.call(lane, cancel):
            if track.source == Source.GENERIC and self.adapters.feeds is not None:
                episodes = self.adapters.feeds.episodes(track.url, track.key)  # a podcast feed?
                if episodes is not None:
                    return episodes
            return self.adapters.downloader.list(track.url)

    def _spotify(self) -> MetadataSource:
        if self.adapters.spotify is None:
            raise PermanentError("Spotify links need the Spotify source, which is not available")
        return self.adapters.spotify

    # ------------------------------------------------------------------ single tracks

    def _already_filed(self, track: TrackRow) -> JobResult | None:
        """A crash after the final move but before the ledger said ``done``: the file is there,
        tagged with this track's key, so finish without downloading again."""
        if not track.path:
            return None
        path = self.config.library_dir / track.path
        if not path.is_file():
            return None
        try:
            owner = self.adapters.tagger.read_key(path)
        except Exception:  # noqa: BLE001 - an unreadable file is simply not ours to trust
            owner = None
        if owner != track.key:
            return None
        meta = track.meta
        return JobResult(kind="already", path=path, size_bytes=path.stat().st_size, meta=meta)

    def _fetch(
        self,
        track: TrackRow,
        cancel: threading.Event,
        progress: Callable[[Progress], None] | None,
        timings: dict[str, float],
    ) -> _Fetched | JobResult:
        """The network half: match, download, metadata, cover (or a duplicate: no download)."""
        wanted = track.meta
        audio_url = track.override_url or track.url
        if track.source == Source.SPOTIFY:
            with timed(timings, "match"):
                wanted = self._spotify_meta(track, cancel)
        elif track.source == Source.SEARCH and track.override_url:
            wanted = typed_meta(track).merged_over(track.meta)  # chosen by hand: as typed
        if track.options.get("artist") and not track.override_url:
            # An artist's single is often also on an album: one recording, one file.
            same = self.ledger.same_recording(track.id, wanted)
            if same is not None and same.path:
                path = self.config.library_dir / same.path
                return JobResult(kind="duplicate", path=path, meta=wanted, same_as=same)
        staging = staging_dir_for(self.config, track.id)
        staging.mkdir(parents=True, exist_ok=True)
        if track.source == Source.SPOTIFY and not track.override_url:
            _stage(progress, "searching")
            with timed(timings, "match"):
                audio_url = self._match(track, wanted, cancel).watch_url
        elif track.source == Source.SEARCH and not track.override_url:
            _stage(progress, "searching")
            with timed(timings, "match"):
                wanted, audio_url = self._search_line(track, cancel)
        lane = "youtube" if _is_youtube(audio_url) else GENERIC
        if lane == "youtube":
            self.circuits.check("youtube")
        _stage(progress, "downloading")
        with timed(timings, "download"):
            downloaded = self._download(audio_url, staging / "download", cancel, progress, lane)
        _check_cancel(cancel)
        if progress is not None:  # downloaded: now trim, normalise, encode, tag, file
            progress(Progress(downloaded_bytes=1, total_bytes=1, stage="processing"))
        meta = self._merge_meta(track, wanted, downloaded)
        if meta.chapters_url and self.adapters.feeds is not None:
            with timed(timings, "chapters"):  # an episode's chapters file beats the file's own
                chapters = self.adapters.feeds.chapters(meta.chapters_url)
            meta = replace(meta, chapters=chapters or meta.chapters)
        with timed(timings, "cover"):
            cover = self.adapters.fetch_cover(meta.cover_url)
        return _Fetched(staging, downloaded, meta, cover, timings["download"], wanted, audio_url)

    def fetch_other(
        self,
        track: TrackRow,
        fetched: _Fetched,
        url: str,
        attempt: int,
        cancel: threading.Event,
        progress: Callable[[Progress], None] | None,
        timings: dict[str, float],
    ) -> _Fetched:
        """Another candidate's audio for the same track (the first was another recording)."""
        lane = "youtube" if _is_youtube(url) else "generic"
        if lane == "youtube":
            self.circuits.check("youtube")
        _stage(progress, "downloading")
        with timed(timings, "download"):
            dest = fetched.staging / f"download-{attempt}"
            downloaded = self._download(url, dest, cancel, progress, lane)
        _check_cancel(cancel)
        meta = self._merge_meta(track, fetched.wanted, downloaded)
        return replace(fetched, downloaded=downloaded, meta=meta, audio_url=url,
                       download_s=timings["download"])  # fmt: skip

    def process(
        self,
        track: TrackRow,
        fetched: _Fetched,
        cancel: threading.Event,
        timings: dict[str, float],
        *,
        fingerprint: bool = False,
    ) -> Processing:
        """The CPU half's first part: trim, normalise, encode (and, asked, fingerprint from
        the same decode: ``identity_check.verify``)."""
        started = time.monotonic()
        settings = audio_settings_for(self.config, track)
        out_dir = fetched.staging / "out"
        out_dir.mkdir(exist_ok=True)
        kwargs = {"fingerprint": True} if fingerprint else {}
        processed = self.adapters.processor.process(
            fetched.downloaded.path, out_dir, settings, cancel=cancel, **kwargs
        )
        timings.update(processed.timings)
        return Processing(processed, time.monotonic() - started)

    def _file(
        self,
        track: TrackRow,
        fetched: _Fetched,
        processing: Processing,
        cancel: threading.Event,
        timings: dict[str, float],
    ) -> JobResult:
        """The CPU half's rest: tag the processed audio, file it into the library."""
        started = time.monotonic()
        processed = processing.processed
        settings = audio_settings_for(self.config, track)
        _check_cancel(cancel)
        replaygain = processed if settings.normalize == "off" else None
        meta = chapters_after_trim(fetched.meta, processed.lead_trimmed_s)
        with timed(timings, "tag"):
            self.adapters.tagger.write(
                processed.path,
                meta,
                key=track.key,
                cover=fetched.cover,
                replaygain=replaygain,
                id3_version=settings.id3_version,
                identity=fetched.identity,
            )
        with timed(timings, "lyrics"):
            lyrics = self._lyrics(track, processed, meta)
        _check_cancel(cancel)
        with timed(timings, "file"):
            tagger = self.adapters.tagger
            final = file_track(self.config, self.ledger, tagger, track, processed.path,
                               meta)  # fmt: skip
            if lyrics is not None and self.adapters.lyrics is not None:
                self.adapters.lyrics.place_beside(final, lyrics)
            if remove_replaced(self.config, tagger, track, final):
                log.info("%s: removed %s, replaced by the manual match", track.key,
                         track.replaces_path)  # fmt: skip
        process_s = processing.seconds + time.monotonic() - started
        return JobResult(
            kind="file",
            path=final,
            size_bytes=final.stat().st_size,
            meta=meta,
            processed=processed,
            info=fetched.downloaded.info,
            download_s=fetched.download_s,
            process_s=process_s,
            timings=timings,
            identity=fetched.identity,
        )

    def _download(
        self,
        url: str,
        dest: Path,
        cancel: threading.Event,
        progress: Callable[[Progress], None] | None,
        lane: str,
    ) -> Downloaded:
        dest.mkdir(parents=True, exist_ok=True)
        try:
            with self.guard.call(lane, cancel):  # a turn of its source's budget for the transfer
                return self.adapters.downloader.download(
                    url, dest, progress=progress, cancel=cancel
                )
        except (RateLimitedError, BotCheckError) as exc:
            if isinstance(exc, RateLimitedError) and (lane == "youtube" or not exc.service):
                exc.service = lane  # YouTube's limits open the youtube circuit
            raise

    def _spotify_meta(self, track: TrackRow, cancel: threading.Event) -> TrackMeta:
        """Spotify's metadata: what the listing gave us, completed by a track lookup when
        we lack the album/ISRC/cover (and the API can give them). A playlist file's entry
        (Exportify has the ISRC, never the cover) is looked up too; when Spotify cannot be
        reached, the file's title, artists, album and length are the metadata."""
        meta = track.meta
        if meta.title and meta.artists and meta.album and meta.isrc and meta.cover_url:
            return meta
        track_id = track.key.rsplit(":", 1)[-1]
        spotify = self._spotify()
        try:
            with self.guard.call("spotify", cancel):
                fetched = spotify.track(track_id)
        except (TransientError, PermanentError) as exc:
            if meta.title and meta.artists and not isinstance(exc, CancelledError):
                log.info("%s: using listing metadata (%s)", track.key, exc)
                return meta
            raise
        merged = fetched.merged_over(meta)
        self.ledger.update_meta(track.id, merged)
        return merged

    def _match(self, track: TrackRow, meta: TrackMeta, cancel: threading.Event) -> Candidate:
        if not meta.title:
            raise PermanentError("Spotify gave no title for this track; cannot search for it")
        return self._find(track, matcher.info_of(meta), cancel)

    def _find(self, track: TrackRow, info: TrackInfo, cancel: threading.Event) -> Candidate:
        return matcher.find_match(
            track,
            info,
            searchers=self.adapters.searchers,
            threshold=self.config.matching.threshold,
            ledger=self.ledger,
            circuits=self.circuits,
            guard=lambda lane: self.guard.call(lane, cancel),  # each search: a YouTube turn
        )

    def _search_line(self, track: TrackRow, cancel: threading.Event) -> tuple[TrackMeta, str]:
        """A free-text line: search for what the user typed; tag from what was found."""
        typed = typed_meta(track)
        chosen = self._find(track, matcher.info_of(typed), cancel)
        wanted = matcher.meta_of_candidate(chosen, typed)
        self.ledger.update_meta(track.id, wanted)
        return wanted, chosen.watch_url

    def _merge_meta(self, track: TrackRow, wanted: TrackMeta, downloaded: Downloaded) -> TrackMeta:
        """The file's own tags join what the link said and yt-dlp's info (see metadata.py)."""
        try:
            embedded = self.adapters.tagger.read(downloaded.path)
        except Exception:  # noqa: BLE001 - odd files simply have no usable tags
            embedded = TrackMeta()
        return merged_meta(track, wanted, embedded, downloaded.meta)

    def _lyrics(self, track: TrackRow, processed: Processed, meta: TrackMeta) -> Lyrics | None:
        """LRCLIB knows a recording by its released length: Spotify's, else the file's before
        silence was trimmed. It has songs only: a podcast episode is not looked up."""
        if self.adapters.lyrics is None or track.key.startswith(EPISODE_KEY_PREFIX):
            return None
        length = meta.duration_s or processed.duration_s + processed.trimmed_s
        return self.adapters.lyrics.embed(processed.path, meta, duration_s=length)


def is_artist_key(key: str) -> bool:
    return key.startswith(("spotify:artist:", "youtube:artist:"))


def _stage(progress: Callable[[Progress], None] | None, stage: str) -> None:
    """Tell whoever watches (the worker, hence the ledger and ``get``'s bars) what runs now."""
    if progress is not None:
        progress(Progress(stage=stage))


def _check_cancel(cancel: threading.Event) -> None:
    if cancel.is_set():
        raise CancelledError("stopping: the job will resume at next start")


def _is_youtube(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host == "youtu.be" or host.endswith("youtube.com")
