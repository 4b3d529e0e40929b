"""The wire: Pydantic models for what the API takes and gives, apart from the ledger's rows."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Strict(BaseModel):
    """Request bodies: unknown keys are refused."""

    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------- links


MAX_LINK_LINES = 5000


class LinksIn(Strict):
    links: list[str] = Field(max_length=MAX_LINK_LINES, description="link lines, as in a link file")
    follow: bool = Field(False, description="follow each playlist/channel/feed instead")

    @field_validator("links")
    @classmethod
    def _lines_in_all(cls, links: list[str]) -> list[str]:
        """The cap counts lines, not items: one item may hold many lines."""
        total = 0
        for item in links:
            total += max(1, len(item.splitlines()))
            if total > MAX_LINK_LINES:
                raise ValueError(
                    f"more than {MAX_LINK_LINES} link lines in one request; send them in parts"
                )
        return links


class LinkResult(BaseModel):
    line: int = Field(description="1-based position in the request")
    text: str
    outcome: str = Field(
        description="queued | already done | already pending | already running | followed | refused"
    )
    key: str | None = None
    reason: str | None = None


class LinksOut(BaseModel):
    results: list[LinkResult]
    queued: int
    refused: int


# ---------------------------------------------------------------- imports


class ImportedCollection(BaseModel):
    name: str = Field(description="the playlist's name (its .m3u8 in the library's Playlists/)")
    tracks: int = Field(description="tracks it lists")
    queued: int = Field(description="of which new to the ledger (or asked again)")


class ImportRefusal(BaseModel):
    position: int = Field(description="the entry's line (M3U, CSV) or item number")
    text: str
    reason: str


class ImportOut(BaseModel):
    file: str = Field(description="where the file was kept; its report is NAME.report.txt")
    format: str = Field(description="the format its content was read as")
    queued: int = Field(description="tracks queued (new, or asked again after failing)")
    known: int = Field(description="tracks the ledger had already, done or on their way")
    refused: int = Field(description="entries that name nothing fetchable")
    collections: list[ImportedCollection]
    refusals: list[ImportRefusal] = Field(description="the first refused entries, with why")


class CollectionOut(BaseModel):
    name: str
    origin: str | None = Field(None, description="the file it was last imported from")
    tracks: int
    states: dict[str, int] = Field(description="its tracks by state: done, failed, pending …")
    playlist: str = Field(description="its .m3u8, relative to the library")
    updated_at: float


# ---------------------------------------------------------------- tracks


class TrackIdentity(BaseModel):
    """Who the filed audio is on MusicBrainz and AcoustID, and its fingerprint's verdict."""

    verdict: Literal["verified", "unverified", "mismatch"]
    reason: str = Field(description="why the verdict is what it is, in words")
    recording_id: str | None = Field(None, description="MusicBrainz recording MBID")
    recording_title: str | None = None
    release_id: str | None = Field(None, description="MusicBrainz release MBID")
    release_group_id: str | None = None
    release_track_id: str | None = None
    artist_ids: list[str] = []
    album_artist_ids: list[str] = []
    acoustid_id: str | None = None
    acoustid_score: float | None = Field(None, description="0-1: how well the fingerprint matched")
    equivalent_ids: list[str] = Field(
        [], description="recordings of the same ISRC: any of them verifies"
    )


class Track(BaseModel):
    key: str
    state: str
    title: str | None = None
    artist: str | None = None
    album: str | None = None
    path: str | None = None
    error: str | None = None
    error_class: str | None = None
    attempts: int
    url: str
    source: str
    kind: str
    size_bytes: int | None = None
    duration_s: float | None = None
    retry_at: float | None = None
    done_at: float | None = None
    audio_url: str | None = Field(None, description="where to play or fetch the file, if done")
    verdict: Literal["verified", "unverified", "mismatch"] | None = Field(
        None, description="the fingerprint's verdict on the audio (None: not checked)"
    )
    identity: TrackIdentity | None = None
    label: str | None = Field(
        None, description="what to call it: the title, else what was typed, else host and file"
    )
    reason: str | None = Field(None, description="the last error in one short line")
    cover_url: str | None = Field(
        None, description="a small thumbnail of the filed file's cover, if done"
    )
    added_at: float | None = Field(None, description="when the track came into the ledger")


class TrackPage(BaseModel):
    items: list[Track]
    next_cursor: str | None = Field(None, description="pass as ?cursor= for the next page")


class HistoryEvent(BaseModel):
    ts: float
    level: str
    kind: str
    message: str


class TrackDetail(Track):
    events: list[HistoryEvent]
    candidates: list[dict[str, Any]]
    items: list[Track]
    override_url: str | None = None
    file_present: bool | None = Field(None, description="for a done track: is its file there?")


class AcceptIn(Strict):
    url: str | None = Field(
        None,
        max_length=4096,
        description="the candidate's audio to file; empty: the one the matcher chose first",
    )


class MatchIn(Strict):
    url: str = Field(max_length=4096, description="the audio to use (http/https)")


class Queued(BaseModel):
    key: str
    state: str
    message: str


# ---------------------------------------------------------------- follows


class FollowTracks(BaseModel):
    known: int
    done: int
    failed: int
    absent: int


class Follow(BaseModel):
    name: str
    kind: str
    url: str
    key: str
    title: str | None = None
    interval_s: int
    options: dict[str, Any]
    origin: str
    last_poll_at: float | None = None
    last_change_at: float | None = None
    next_poll_at: float | None = None
    tracks: FollowTracks
    failures: int
    error_class: str | None = None
    error: str | None = None
    backoff_until: float | None = None


class FollowIn(Strict):
    url: str = Field(max_length=4096)
    every: str | None = Field(None, max_length=32, description="poll interval, e.g. 30m, 6h, 1d")
    name: str | None = Field(None, max_length=200)
    format: Literal["mp3", "m4a", "opus", "flac", "original"] | None = None
    subdir: str | None = Field(None, max_length=500)
    on_removed: Literal["keep", "delete"] | None = None
    normalize: Literal["loudness", "peak", "off"] | None = None
    keep_last: int | None = Field(None, ge=1, le=100_000, description="feeds: the newest N")
    since: str | None = Field(None, max_length=10, description="feeds: YYYY-MM-DD or all")


class Done(BaseModel):
    message: str


# ---------------------------------------------------------------- status and health


class YtDlpInfo(BaseModel):
    """The yt-dlp in use; its versions are dates, so its age is known."""

    version: str | None = Field(description="e.g. 2026.11.30; null when yt-dlp is missing")
    where: Literal["installed", "state_dir"] = Field(
        description="installed: the one installed with spotsyncd; state_dir: a release "
        "'spotsyncd extractors update' installed under the state dir"
    )
    age_days: int | None
    too_old: bool = Field(description="older than extractors.max_age_days")
    newest: str | None = Field(description="the newest release the last check found")
    update_available: bool
    auto_update: Literal["false", "notify", "install"]
    previous: str | None = Field(description="what a rollback returns to")


class SourceHealthRow(BaseModel):
    """One source's last canary."""

    name: str = Field(description="youtube, youtube_music, spotify, lrclib, a media server…")
    state: Literal["ok", "failing"]
    since: float = Field(description="when the present state began, UNIX time")
    checked_at: float
    error_class: str | None = None
    error: str | None = None
    fix: str | None = Field(None, description="what to do: cookies, PO token, update yt-dlp…")


class SourcesHealth(BaseModel):
    """``GET /api/v1/health/sources``: the source health table and the yt-dlp in use."""

    yt_dlp: YtDlpInfo
    sources: list[SourceHealthRow]


class CookiesStatus(BaseModel):
    """How the YouTube login in download.cookies_file stands; warned 7 days before it ends."""

    state: Literal["ok", "no_login", "expiring", "expired", "error"]
    message: str
    fix: str = Field(description="what to do (empty when nothing)")
    expires_at: float | None = Field(description="when the first login cookie expires (epoch s)")


class Status(BaseModel):
    """What ``spotsyncd status --json`` says (job states and circuits are open-ended maps)."""

    model_config = ConfigDict(extra="allow")

    daemon: dict[str, Any]
    jobs: dict[str, int]
    in_flight: list[dict[str, Any]]
    today: dict[str, Any]
    overall: dict[str, Any]
    recent_failures: list[dict[str, Any]]
    follows_due: list[dict[str, Any]]
    circuits: dict[str, dict[str, Any]] = Field(
        description="per service (spotify, youtube: shared by every process through the "
        "ledger) and offline (this machine's): open, open_until, failures, reason, "
        "error_class, since, opened_by"
    )
    budgets: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="per source: max_concurrent, min_interval_s and in_use (turns under way "
        "now across every process)",
    )
    workers: list[dict[str, Any]] = Field(
        default_factory=list,
        description="with queue.backend: celery, each worker and the coordinator: name, role, "
        "host, version, concurrency, seen_at, state (ok | offline | silent | stopped), reason",
    )
    web: dict[str, Any]
    disk_free_bytes: int | None = None
    inbox_dir: str
    library_dir: str
    yt_dlp: YtDlpInfo
    sources: list[SourceHealthRow]
    cookies: CookiesStatus | None = Field(
        None, description="download.cookies_file's YouTube login (null: no cookies file)"
    )


class Health(BaseModel):
    status: Literal["ok"]
    ledger: Literal["ok"]


class Ticket(BaseModel):
    ticket: str = Field(description="add ?ticket=… to the event stream or an audio URL")
    expires_in: int = Field(description="seconds it stays valid")


# ---------------------------------------------------------------- the library


class Album(BaseModel):
    id: str = Field(description="opaque: what names the album in the URLs of its page and cover")
    artist: str = Field(description='"" when the tracks have no artist')
    album: str = Field(description='"" for tracks with no album (filed under Singles)')
    tracks: int
    added_at: float | None = Field(None, description="when its newest track was filed")
    cover_url: str


class AlbumPage(BaseModel):
    items: list[Album]
    next_offset: int | None = Field(
        None, description="pass as ?offset= for the next page (null: this page is the last)"
    )


class Artist(BaseModel):
    artist: str
    tracks: int
    albums: int
    cover_url: str


class ArtistPage(BaseModel):
    items: list[Artist]
    next_offset: int | None = Field(
        None, description="pass as ?offset= for the next page (null: this page is the last)"
    )


class AlbumDetail(Album):
    items: list[Track] = Field(description="its tracks, by disc and track number")


class LibraryPage(BaseModel):
    items: list[Track]
    next_offset: int | None = Field(None, description="pass as ?offset= for the next page")


# ---------------------------------------------------------------- activity


class ActivityEvent(BaseModel):
    id: int
    ts: float
    level: str
    kind: str
    message: str
    key: str | None = None
    label: str | None = Field(None, description="the track's or the follow's name")
    state: str | None = Field(None, description="the track's state now")
    follow: str | None = None


class ActivityPage(BaseModel):
    items: list[ActivityEvent]
    next_before: int | None = Field(None, description="pass as ?before= for older events")
    kinds: list[str] = Field(
        description="every kind of event in the log, for a filter (on the first page only)"
    )


class RetryIn(Strict):
    which: Literal["failed", "waiting"] = Field(
        description="failed: every failed track but what a follow set aside (a podcast's older "
        "episodes); waiting: every track waiting for a later retry"
    )


class Counted(BaseModel):
    count: int
    message: str


# ---------------------------------------------------------------- follows


class FollowChange(Strict):
    every: str = Field(max_length=32, description="poll interval, e.g. 30m, 6h, 1d")


class FollowItem(BaseModel):
    key: str
    label: str
    state: str
    absent_since: float | None = Field(None, description="no longer listed upstream since")
    audio_url: str | None = None


class FollowItems(BaseModel):
    items: list[FollowItem]
    playlist_url: str = Field(description="the follow's done tracks as m3u8")


# ---------------------------------------------------------------- health and settings


class WorkerInfo(BaseModel):
    name: str
    role: str
    host: str
    pid: int
    version: str
    concurrency: int
    started_at: float
    seen_at: float = Field(description="its last heartbeat")


class HealthReport(BaseModel):
    """The Health page: open-ended where other parts add their own sections."""

    model_config = ConfigDict(extra="allow")

    daemon: dict[str, Any]
    queue_backend: str
    workers: list[WorkerInfo]
    circuits: dict[str, dict[str, Any]]
    disk: dict[str, Any]
    media_servers: list[dict[str, Any]]
    notifications: dict[str, Any]
    ytdlp: dict[str, Any]


class Delivery(BaseModel):
    url: str = Field(description="the URL with its secret parts masked")
    ok: bool
    detail: str | None = None


class NotifyTest(BaseModel):
    deliveries: list[Delivery]
    message: str


class Setting(BaseModel):
    key: str
    value: Any = Field(description="secrets masked")
    origin: str = Field(description="default, the config file and line, or the variable")


class Settings(BaseModel):
    source: str | None = Field(None, description="the config file read, if any")
    items: list[Setting]
