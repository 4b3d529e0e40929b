"""Rows read from the ledger, as frozen values."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, select

from spotsyncd.core.models import Identity, JobState, LinkKind, Source, TrackMeta
from spotsyncd.ledger.schema import jobs, tracks


@dataclass(frozen=True)
class TrackRow:
    """A track with its job, as read from the ledger."""

    id: int
    key: str
    url: str
    source: Source
    kind: LinkKind
    state: JobState
    attempts: int
    title: str | None
    artist: str | None
    album: str | None
    path: str | None
    replaces_path: str | None
    error_class: str | None
    error: str | None
    retry_at: float | None
    override_url: str | None
    meta: TrackMeta
    options: dict[str, Any]
    size_bytes: int | None
    duration_s: float | None
    done_at: float | None
    created_at: float
    progress: dict[str, Any] | None
    identity: Identity | None = None  # who the filed audio is, and the fingerprint's verdict

    @property
    def verdict(self) -> str | None:
        return str(self.identity.verdict) if self.identity is not None else None

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "state": str(self.state),
            "title": self.title,
            "artist": self.artist,
            "album": self.album,
            "path": self.path,
            "error": self.error,
            "error_class": self.error_class,
            "attempts": self.attempts,
            "url": self.url,
            "source": str(self.source),
            "kind": str(self.kind),
            "size_bytes": self.size_bytes,
            "duration_s": self.duration_s,
            "retry_at": self.retry_at,
            "done_at": self.done_at,
            "verdict": self.verdict,
            "identity": self.identity.to_dict() if self.identity is not None else None,
        }


@dataclass(frozen=True)
class ClaimedJob:
    job_id: int
    attempts: int
    track: TrackRow


TRACK_COLUMNS = (
    tracks.c.id,
    tracks.c.key,
    tracks.c.url,
    tracks.c.source,
    tracks.c.kind,
    jobs.c.state,
    jobs.c.attempts,
    tracks.c.title,
    tracks.c.artist,
    tracks.c.album,
    tracks.c.path,
    tracks.c.replaces_path,
    jobs.c.error_class,
    jobs.c.error,
    jobs.c.retry_at,
    tracks.c.override_url,
    tracks.c.meta_json,
    tracks.c.options_json,
    tracks.c.size_bytes,
    tracks.c.duration_s,
    tracks.c.done_at,
    tracks.c.created_at,
    jobs.c.progress_json,
    tracks.c.identity_json,
)


def row_to_track(row: Any) -> TrackRow:
    return TrackRow(
        id=row.id,
        key=row.key,
        url=row.url,
        source=Source(row.source),
        kind=LinkKind(row.kind),
        state=JobState(row.state),
        attempts=row.attempts,
        title=row.title,
        artist=row.artist,
        album=row.album,
        path=row.path,
        replaces_path=row.replaces_path,
        error_class=row.error_class,
        error=row.error,
        retry_at=row.retry_at,
        override_url=row.override_url,
        meta=TrackMeta.from_dict(json.loads(row.meta_json) if row.meta_json else None),
        options=json.loads(row.options_json) if row.options_json else {},
        size_bytes=row.size_bytes,
        duration_s=row.duration_s,
        done_at=row.done_at,
        created_at=row.created_at,
        progress=json.loads(row.progress_json) if row.progress_json else None,
        identity=Identity.from_dict(json.loads(row.identity_json)) if row.identity_json else None,
    )


# Built once: every claim reads its track (the hot path).
_TRACK_BY_ID = (
    select(*TRACK_COLUMNS)
    .join(jobs, jobs.c.track_id == tracks.c.id)
    .where(tracks.c.id == bindparam("track_id"))
)


def track_by_id(conn: Connection, track_id: int) -> TrackRow:
    """The track (with its job) of ``track_id``, inside the caller's transaction."""
    return row_to_track(conn.execute(_TRACK_BY_ID, {"track_id": track_id}).one())


@dataclass(frozen=True)
class Added:
    """What ``add_links`` did with one link."""

    track_id: int
    key: str
    created: bool  # a new track row
    requeued: bool  # an existing failed track went back to pending
    state: JobState
