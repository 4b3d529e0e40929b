"""The ledger's tables (SQLAlchemy Core), the same for SQLite and PostgreSQL.

Times are UNIX epoch seconds (REAL). Identity is ``tracks.key``; a track has exactly one job row
that carries its state through pending → running → done | failed.

A change here needs an Alembic revision in ``migrations/versions`` (CONTRIBUTING.md).
``SCHEMA_VERSION`` is the pre-Alembic version number, kept for old ledgers; it does not move.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

SCHEMA_VERSION = 1

metadata = MetaData()

schema_meta = Table(
    "schema_meta",
    metadata,
    Column("name", String, primary_key=True),
    Column("value", String, nullable=False),
)

tracks = Table(
    "tracks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String, nullable=False, unique=True),
    Column("url", Text, nullable=False),
    Column("source", String, nullable=False),  # models.Source
    Column("kind", String, nullable=False),  # models.LinkKind
    Column("override_url", Text),  # audio to use instead of searching (manual match)
    Column("title", Text),
    Column("artist", Text),
    Column("album", Text),
    Column("meta_json", Text),  # TrackMeta.to_dict() from the best source so far
    Column("info_json", Text),  # what the downloader said about the audio it fetched
    Column("candidates_json", Text),  # ranked match candidates with scores (Spotify tracks)
    Column("options_json", Text),  # output overrides (format, subdir...) from a follow
    Column("path", Text, unique=True),  # library path, reserved before the final move
    Column("replaces_path", Text),  # the file a manual match replaces, removed once filed
    Column("size_bytes", Integer),
    Column("duration_s", Float),
    Column("audio_settings", Text),  # e.g. "mp3 192k loudness -14 LUFS"
    Column("loudness_lufs", Float),
    Column("created_at", Float, nullable=False),
    Column("done_at", Float),
    Column("download_s", Float),
    Column("process_s", Float),
    Column("verdict", String),  # models.Verdict of the audio filed (None: never checked)
    Column("identity_json", Text),  # models.Identity.to_dict(): MBIDs, AcoustID, the reason
)

jobs = Table(
    "jobs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "track_id",
        Integer,
        ForeignKey("tracks.id", ondelete="CASCADE"),
        nullable=False,
        unique=True,
    ),
    Column("state", String, nullable=False),  # models.JobState
    Column("attempts", Integer, nullable=False, default=0),
    Column("retry_at", Float),
    Column("error_class", String),
    Column("error", Text),
    Column("worker", String),
    Column("claimed_at", Float),
    Column("updated_at", Float, nullable=False),
    Column("progress_json", Text),
)
Index("ix_jobs_state_retry", jobs.c.state, jobs.c.retry_at)
# The claim's order over the queued jobs only (``ledger/tracks/jobs.py``): a claim reads one index
# entry instead of sorting every queued job (3 ms → 0.04 ms with 10,000 queued, PostgreSQL).
# The query repeats this WHERE clause word for word, so that both databases can use it.
QUEUED_SQL = "state IN ('pending', 'waiting')"
Index(
    "ix_jobs_due",
    text("(retry_at IS NOT NULL)"),
    jobs.c.id,
    sqlite_where=text(QUEUED_SQL),
    postgresql_where=text(QUEUED_SQL),
)

inbox_files = Table(
    "inbox_files",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", Text, nullable=False),
    Column("stored_path", Text),  # where it went: inbox/processed/... or inbox/failed/...
    Column("report_path", Text),
    Column("received_at", Float, nullable=False),
    Column("outcome", String, nullable=False),  # accepted | failed | reported
    Column("reason", Text),
    Column("lines_accepted", Integer, nullable=False, default=0),
    Column("lines_refused", Integer, nullable=False, default=0),
    Column("report_final", Boolean, nullable=False, default=False),
)

inbox_lines = Table(
    "inbox_lines",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "inbox_file_id", Integer, ForeignKey("inbox_files.id", ondelete="CASCADE"), nullable=False
    ),
    Column("line_no", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("track_id", Integer, ForeignKey("tracks.id", ondelete="SET NULL")),
    Column("error", Text),  # why the line was refused
)
Index("ix_inbox_lines_file", inbox_lines.c.inbox_file_id)

collection_items = Table(
    "collection_items",
    metadata,
    Column("parent_id", Integer, ForeignKey("tracks.id", ondelete="CASCADE"), primary_key=True),
    Column("child_id", Integer, ForeignKey("tracks.id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, nullable=False),
)

# Named lists that are no follow: each playlist of an imported playlist file or export (and its
# liked songs), kept as an ``.m3u8`` in the library's ``Playlists/``. Importing a list of the same
# name again replaces its items (the newer file is the list as it is now).
collections = Table(
    "collections",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String, nullable=False, unique=True),
    Column("origin", Text),  # the file it came from
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)

collection_tracks = Table(
    "collection_tracks",
    metadata,
    Column(
        "collection_id", Integer, ForeignKey("collections.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("track_id", Integer, ForeignKey("tracks.id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, nullable=False),
)
Index("ix_collection_tracks_track", collection_tracks.c.track_id)

follows = Table(
    "follows",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String, nullable=False, unique=True),
    Column("key", String, nullable=False, unique=True),
    Column("url", Text, nullable=False),
    Column("source", String, nullable=False),
    Column("interval_s", Integer, nullable=False),
    Column("options_json", Text),
    Column("origin", String, nullable=False),  # cli | config | inbox
    Column("created_at", Float, nullable=False),
    Column("last_poll_at", Float),
    Column("last_change_at", Float),
    Column("fingerprint", Text),
    Column("next_poll_at", Float),
    Column("failures", Integer, nullable=False, default=0),
    Column("error_class", String),
    Column("error", Text),
    Column("backoff_until", Float),
    Column("title", Text),
    # The name was derived from the link, so the first poll may replace it with the title.
    Column("auto_name", Boolean, nullable=False, default=False),
)

follow_items = Table(
    "follow_items",
    metadata,
    Column("follow_id", Integer, ForeignKey("follows.id", ondelete="CASCADE"), primary_key=True),
    Column("track_id", Integer, ForeignKey("tracks.id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("first_seen", Float, nullable=False),
    Column("absent_since", Float),
    # This follow's poll created the track (nobody had asked for it before): only such tracks'
    # files may be deleted when every follow has dropped them.
    Column("added_by_follow", Boolean, nullable=False, default=False),
    UniqueConstraint("follow_id", "track_id"),
)
Index("ix_follow_items_track", follow_items.c.track_id)

events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("ts", Float, nullable=False),
    Column("track_id", Integer, ForeignKey("tracks.id", ondelete="CASCADE")),
    Column("follow_id", Integer, ForeignKey("follows.id", ondelete="CASCADE")),
    Column("level", String, nullable=False),
    Column("kind", String, nullable=False),
    Column("message", Text, nullable=False),
)
Index("ix_events_track", events.c.track_id)
Index("ix_events_ts", events.c.ts)

# Processes that run jobs for the ledger (``spotsyncd worker``) and the daemon that dispatches
# them; ``seen_at`` is their heartbeat. A running job whose ``jobs.worker`` stopped heart-beating
# is handed to another worker.
workers = Table(
    "workers",
    metadata,
    Column("name", String, primary_key=True),  # host:pid:random, unique per process
    Column("role", String, nullable=False),  # worker | coordinator
    Column("host", String, nullable=False),
    Column("pid", Integer, nullable=False),
    Column("version", String, nullable=False),
    Column("concurrency", Integer, nullable=False, default=1),
    Column("started_at", Float, nullable=False),
    Column("seen_at", Float, nullable=False),
    Column("stopped_at", Float),  # set on a clean shutdown
    # What the process says of itself in each heartbeat: "ok", or "offline" while its own
    # machine has no network (it takes no job then); ``state_reason`` says why.
    Column("state", String),
    Column("state_reason", Text),
)
Index("ix_workers_seen", workers.c.seen_at)

# A circuit breaker per outside service ("spotify", "youtube"), shared by every process that
# uses the ledger (the daemon, the coordinator, each worker): a bot check or a 429 seen by one
# stops them all until ``open_until`` (a Retry-After is kept to the second). A row exists while
# the service has failed since its last success; ``failures`` doubles the next back-off.
circuits = Table(
    "circuits",
    metadata,
    Column("service", String, primary_key=True),
    Column("open_until", Float, nullable=False),
    Column("failures", Integer, nullable=False, default=0),
    Column("reason", Text, nullable=False, default=""),
    Column("error_class", String, nullable=False, default=""),
    Column("since", Float, nullable=False),  # when it opened
    Column("opened_by", String, nullable=False, default=""),  # the process (host:pid…)
    Column("updated_at", Float, nullable=False),
)

# Per-source budgets across every process (``sources.<name>.max_concurrent`` and
# ``min_interval``): a turn is one request or transfer under way; it expires unless its holder
# renews it, so a process that dies holds no turn for long. ``budget_clock`` keeps when the
# last turn of each source started, and its row is what a taker locks while it decides.
budget_turns = Table(
    "budget_turns",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source", String, nullable=False),
    Column("holder", String, nullable=False),
    Column("started_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
)
Index("ix_budget_turns_source", budget_turns.c.source, budget_turns.c.expires_at)

budget_clock = Table(
    "budget_clock",
    metadata,
    Column("source", String, primary_key=True),
    Column("last_start", Float, nullable=False),
)

# The last look at each source the user uses (a cheap canary: a YouTube extraction, a YouTube
# Music search, Spotify as the user reads it, LRCLIB, each media server…): ``since`` is when the
# present state began, so "failing since 03:10" survives restarts.
source_health = Table(
    "source_health",
    metadata,
    Column("name", String, primary_key=True),  # youtube, youtube_music, spotify, lrclib, ...
    Column("state", String, nullable=False),  # ok | failing
    Column("since", Float, nullable=False),
    Column("checked_at", Float, nullable=False),
    Column("error_class", String),
    Column("error", Text),
    Column("fix", Text),  # what to do about it: cookies, PO token, update yt-dlp, Spotify login
    Column("failures", Integer, nullable=False, default=0),  # checks failed in a row
)

# MusicBrainz and AcoustID answers, as the JSON text they sent ("null": not found), shared by
# every process so that no lookup is made twice within ``identity.web.CACHE_MAX_AGE_S``.
lookup_cache = Table(
    "lookup_cache",
    metadata,
    Column("service", String, primary_key=True),  # musicbrainz | acoustid
    Column("key", String, primary_key=True),  # e.g. isrc:GBAHS1400099
    Column("body", Text, nullable=False),
    Column("fetched_at", Float, nullable=False),
)
