"""Reads of tracks: one by key or id, filtered lists, keyset pages for the web API, a
collection's items, counts by state and running jobs' progress."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import func, or_, select

from spotsyncd.core.models import JobState, LinkKind
from spotsyncd.ledger.base import Store
from spotsyncd.ledger.rows import TRACK_COLUMNS, TrackRow, row_to_track
from spotsyncd.ledger.schema import collection_items, jobs, tracks

MAX_PAGE = 500


class Browse:
    def __init__(self, store: Store) -> None:
        self._store = store

    def track(self, key: str) -> TrackRow | None:
        with self._store.read() as conn:
            row = conn.execute(
                select(*TRACK_COLUMNS)
                .join(jobs, jobs.c.track_id == tracks.c.id)
                .where(tracks.c.key == key)
            ).first()
        return row_to_track(row) if row else None

    def tracks(
        self,
        *,
        state: JobState | None = None,
        kind: LinkKind | None = None,
        limit: int | None = None,
    ) -> list[TrackRow]:
        query = select(*TRACK_COLUMNS).join(jobs, jobs.c.track_id == tracks.c.id)
        if state is not None:
            query = query.where(jobs.c.state == state)
        if kind is not None:
            query = query.where(tracks.c.kind == kind)
        query = query.order_by(tracks.c.id)
        if limit:
            query = query.limit(limit)
        with self._store.read() as conn:
            return [row_to_track(r) for r in conn.execute(query)]

    def counts(self) -> dict[str, int]:
        with self._store.read() as conn:
            rows = conn.execute(select(jobs.c.state, func.count()).group_by(jobs.c.state)).all()
        result = {str(s): 0 for s in JobState}
        result.update({state: count for state, count in rows})
        return result

    def queued_urls(
        self, only: Collection[int] | None = None
    ) -> list[tuple[int, str, float | None]]:
        """``(track id, the URL its audio comes from, retry_at)`` of every pending or waiting
        job (with ``only``, among those tracks): the worker pool keeps the jobs of hosts the
        offline watch found cut off out of its claims."""
        query = select(
            tracks.c.id, func.coalesce(tracks.c.override_url, tracks.c.url), jobs.c.retry_at
        ).join(jobs, jobs.c.track_id == tracks.c.id)
        query = query.where(jobs.c.state.in_((JobState.PENDING, JobState.WAITING)))
        if only is not None:
            query = query.where(tracks.c.id.in_(sorted(only)))
        with self._store.read() as conn:
            return [(int(i), str(url), retry_at) for i, url, retry_at in conn.execute(query)]

    def last_done_at(self) -> float | None:
        """When a track was last filed (a cheap "did the library change?" probe)."""
        with self._store.read() as conn:
            value = conn.execute(select(func.max(tracks.c.done_at))).scalar()
        return float(value) if value is not None else None

    def candidates(self, key: str) -> list[dict[str, Any]]:
        with self._store.read() as conn:
            raw = conn.execute(select(tracks.c.candidates_json).where(tracks.c.key == key)).scalar()
        return json.loads(raw) if raw else []

    def tracks_by_ids(self, ids: Sequence[int]) -> list[TrackRow]:
        """The tracks with these ids, in the order given (unknown ids are left out)."""
        found: dict[int, TrackRow] = {}
        for start in range(0, len(ids), 500):
            query = (
                select(*TRACK_COLUMNS)
                .join(jobs, jobs.c.track_id == tracks.c.id)
                .where(tracks.c.id.in_(list(ids[start : start + 500])))
            )
            with self._store.read() as conn:
                found.update({row.id: row_to_track(row) for row in conn.execute(query)})
        return [found[i] for i in ids if i in found]

    def children(self, parent_id: int) -> list[TrackRow]:
        query = (
            select(*TRACK_COLUMNS)
            .join(jobs, jobs.c.track_id == tracks.c.id)
            .join(collection_items, collection_items.c.child_id == tracks.c.id)
            .where(collection_items.c.parent_id == parent_id)
            .order_by(collection_items.c.position)
        )
        with self._store.read() as conn:
            return [row_to_track(r) for r in conn.execute(query)]

    def recent_failures(self, limit: int = 10) -> list[TrackRow]:
        query = (
            select(*TRACK_COLUMNS)
            .join(jobs, jobs.c.track_id == tracks.c.id)
            .where(jobs.c.state == JobState.FAILED)
            .order_by(jobs.c.updated_at.desc())
            .limit(limit)
        )
        with self._store.read() as conn:
            return [row_to_track(r) for r in conn.execute(query)]

    def running(self) -> list[TrackRow]:
        return self.tracks(state=JobState.RUNNING)

    def tracks_page(
        self,
        *,
        state: JobState | None = None,
        query: str | None = None,
        after_id: int = 0,
        limit: int = 100,
        newest_first: bool = False,
    ) -> list[TrackRow]:
        """Tracks with ``id > after_id`` in id order (keyset pagination; newest first: ids
        below ``after_id``, when given), optionally of one state and matching ``query`` in key,
        title, artist or album (case-insensitive)."""
        stmt = select(*TRACK_COLUMNS).join(jobs, jobs.c.track_id == tracks.c.id)
        if not newest_first:
            stmt = stmt.where(tracks.c.id > after_id)
        elif after_id:
            stmt = stmt.where(tracks.c.id < after_id)
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
        order = tracks.c.id.desc() if newest_first else tracks.c.id
        stmt = stmt.order_by(order).limit(max(1, min(limit, MAX_PAGE)))
        with self._store.read() as conn:
            return [row_to_track(r) for r in conn.execute(stmt)]

    def track_id_of(self, key: str) -> int | None:
        with self._store.read() as conn:
            value = conn.execute(select(tracks.c.id).where(tracks.c.key == key)).scalar()
        return int(value) if value is not None else None

    def progress_of_running(self) -> dict[str, dict[str, Any]]:
        """Running tracks' progress by key (just the title for a job that reported none)."""
        stmt = (
            select(*TRACK_COLUMNS)
            .join(jobs, jobs.c.track_id == tracks.c.id)
            .where(jobs.c.state == JobState.RUNNING)
        )
        with self._store.read() as conn:
            rows = [row_to_track(r) for r in conn.execute(stmt)]
        return {t.key: {"title": t.title, **(t.progress or {})} for t in rows}
