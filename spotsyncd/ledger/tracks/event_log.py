"""The event log: what happened to which track or follow, written beside each change it tells of
and read by the ``/events`` stream, ``why``, notifications and ``status``."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Connection, Select, func, insert, select

from spotsyncd.ledger.base import Store
from spotsyncd.ledger.schema import events, follows, jobs, tracks


def described_events() -> Select[Any]:
    """Events with what they are about: the track's key, URL, title, artist and current state,
    or the follow's name (the live stream and the Activity log read the same rows)."""
    return select(
        events.c.id,
        events.c.ts,
        events.c.level,
        events.c.kind,
        events.c.message,
        tracks.c.key,
        tracks.c.url,
        tracks.c.title,
        tracks.c.artist,
        jobs.c.state,
        follows.c.name.label("follow"),
    ).select_from(
        events.outerjoin(tracks, tracks.c.id == events.c.track_id)
        .outerjoin(jobs, jobs.c.track_id == events.c.track_id)
        .outerjoin(follows, follows.c.id == events.c.follow_id)
    )


# Built once: every claim writes an event (the hot path).
_EVENT = insert(events)


class EventLog:
    def __init__(self, store: Store) -> None:
        self._store = store

    def record(
        self,
        conn: Connection,
        track_id: int | None,
        level: str,
        kind: str,
        message: str,
        follow_id: int | None = None,
    ) -> None:
        """Write one event inside the caller's transaction (it commits with the change)."""
        conn.execute(
            _EVENT,
            {
                "ts": time.time(),
                "track_id": track_id,
                "follow_id": follow_id,
                "level": level,
                "kind": kind,
                "message": message[:4000],
            },
        )

    def event(
        self,
        level: str,
        kind: str,
        message: str,
        *,
        track_id: int | None = None,
        follow_id: int | None = None,
    ) -> None:
        with self._store.write() as conn:
            self.record(conn, track_id, level, kind, message, follow_id)

    def last_event_id(self) -> int:
        with self._store.read() as conn:
            return int(conn.execute(select(func.max(events.c.id))).scalar() or 0)

    def events_for(self, track_id: int, limit: int = 50) -> list[dict[str, Any]]:
        with self._store.read() as conn:
            rows = conn.execute(
                select(events.c.ts, events.c.level, events.c.kind, events.c.message)
                .where(events.c.track_id == track_id)
                .order_by(events.c.id.desc())
                .limit(limit)
            ).all()
        return [dict(r._mapping) for r in reversed(rows)]

    def events_after(self, after_id: int, limit: int = 500) -> list[dict[str, Any]]:
        """The event log after ``after_id``, oldest first, with the track's key, title and
        current state or the follow's name."""
        stmt = described_events().where(events.c.id > after_id).order_by(events.c.id).limit(limit)
        with self._store.read() as conn:
            return [dict(r._mapping) for r in conn.execute(stmt)]

    def notable_events(
        self, after_id: int, up_to: int, kinds: tuple[str, ...]
    ) -> list[dict[str, Any]]:
        """Events with ``after_id < id <= up_to`` of these kinds, oldest first, with the
        track's key, title, source and last error class and the follow's name (for
        notifications)."""
        query = (
            select(
                events.c.id,
                events.c.ts,
                events.c.kind,
                events.c.message,
                tracks.c.key,
                tracks.c.title,
                tracks.c.artist,
                tracks.c.source,
                jobs.c.error_class,
                follows.c.name.label("follow"),
            )
            .select_from(
                events.outerjoin(tracks, tracks.c.id == events.c.track_id)
                .outerjoin(jobs, jobs.c.track_id == events.c.track_id)
                .outerjoin(follows, follows.c.id == events.c.follow_id)
            )
            .where(events.c.id > after_id, events.c.id <= up_to, events.c.kind.in_(kinds))
            .order_by(events.c.id)
        )
        with self._store.read() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]
