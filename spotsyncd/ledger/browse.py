"""Reads for the web API: keyset pages of tracks, the event log after an id, and a hook that
tells the daemon's own readers (the ``/events`` stream) that a write was committed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, event, func, or_, select

from spotsyncd.core.models import JobState
from spotsyncd.ledger import db
from spotsyncd.ledger.base import LedgerBase
from spotsyncd.ledger.rows import TRACK_COLUMNS, TrackRow, row_to_track
from spotsyncd.ledger.schema import events, follows, jobs, tracks

MAX_PAGE = 500


def call_after_writes(engine: Engine, callback: Callable[[], None]) -> None:
    """Call ``callback`` (in the writer's thread) after every committed write transaction of
    this process. The commit event comes before the commit itself, so it only marks the
    connection; the pool's check-in, which follows the commit, calls back."""

    @event.listens_for(engine, "commit")
    def _mark(conn: Any) -> None:
        if conn.get_execution_options().get("spotsyncd_write", False):
            conn.info["spotsyncd_written"] = True

    @event.listens_for(engine.pool, "checkin")
    def _fire(_dbapi_conn: Any, record: Any) -> None:
        if record is not None and record.info.pop("spotsyncd_written", False):
            callback()


class BrowseMixin(LedgerBase):
    def tracks_page(
        self,
        *,
        state: JobState | None = None,
        query: str | None = None,
        after_id: int = 0,
        limit: int = 100,
    ) -> list[TrackRow]:
        """Tracks with ``id > after_id`` in id order (keyset pagination), optionally of one
        state and matching ``query`` in key, title, artist or album (case-insensitive)."""
        stmt = (
            select(*TRACK_COLUMNS)
            .join(jobs, jobs.c.track_id == tracks.c.id)
            .where(tracks.c.id > after_id)
        )
        if state is not None:
            stmt = stmt.where(jobs.c.state == state)
        if query:
            pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            pattern += "%"
            stmt = stmt.where(
                or_(
                    *(
                        column.ilike(pattern, escape="\\")
                        for column in (
                            tracks.c.key,
                            tracks.c.title,
                            tracks.c.artist,
                            tracks.c.album,
                        )
                    )
                )
            )
        stmt = stmt.order_by(tracks.c.id).limit(max(1, min(limit, MAX_PAGE)))
        with db.read(self.engine) as conn:
            return [row_to_track(r) for r in conn.execute(stmt)]

    def track_id_of(self, key: str) -> int | None:
        with db.read(self.engine) as conn:
            value = conn.execute(select(tracks.c.id).where(tracks.c.key == key)).scalar()
        return int(value) if value is not None else None

    def last_event_id(self) -> int:
        with db.read(self.engine) as conn:
            return int(conn.execute(select(func.coalesce(func.max(events.c.id), 0))).scalar() or 0)

    def events_after(self, after_id: int, limit: int = 500) -> list[dict[str, Any]]:
        """The event log after ``after_id``, oldest first, with the track's key, title and
        current state or the follow's name."""
        stmt = (
            select(
                events.c.id,
                events.c.ts,
                events.c.level,
                events.c.kind,
                events.c.message,
                tracks.c.key,
                tracks.c.title,
                tracks.c.artist,
                jobs.c.state,
                follows.c.name.label("follow"),
            )
            .select_from(
                events.outerjoin(tracks, tracks.c.id == events.c.track_id)
                .outerjoin(jobs, jobs.c.track_id == events.c.track_id)
                .outerjoin(follows, follows.c.id == events.c.follow_id)
            )
            .where(events.c.id > after_id)
            .order_by(events.c.id)
            .limit(limit)
        )
        with db.read(self.engine) as conn:
            return [dict(r._mapping) for r in conn.execute(stmt)]

    def progress_of_running(self) -> dict[str, dict[str, Any]]:
        """Running tracks' progress by key (just the title for a job that reported none)."""
        stmt = (
            select(*TRACK_COLUMNS)
            .join(jobs, jobs.c.track_id == tracks.c.id)
            .where(jobs.c.state == JobState.RUNNING)
        )
        with db.read(self.engine) as conn:
            rows = [row_to_track(r) for r in conn.execute(stmt)]
        return {t.key: {"title": t.title, **(t.progress or {})} for t in rows}
