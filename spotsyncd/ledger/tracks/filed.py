"""Filed tracks and their library paths (``verify``, ``retag``, the pipeline's filing step):
streamed reads, path reservations and safe path moves.

Reads come in batches by id (keyset pagination), so a 50,000-track library never sits in memory.
A move is written in two steps: the new path goes in with the old one kept in ``replaces_path``
until the file has moved, so a crash in between can be told from a lost file and finished.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Select, func, select, update

from spotsyncd.core.models import JobState, LinkKind, TrackMeta
from spotsyncd.ledger.base import Store
from spotsyncd.ledger.rows import TRACK_COLUMNS, TrackRow, row_to_track
from spotsyncd.ledger.schema import jobs, tracks
from spotsyncd.ledger.tracks import recordings
from spotsyncd.ledger.tracks.event_log import EventLog
from spotsyncd.ledger.tracks.jobs import JobQueue

BATCH = 500


def _filed_query() -> Select[Any]:
    return (
        select(*TRACK_COLUMNS)
        .join(jobs, jobs.c.track_id == tracks.c.id)
        .where(jobs.c.state == JobState.DONE)
        .where(tracks.c.kind != LinkKind.COLLECTION)
        .where(tracks.c.path.is_not(None))
    )


class Filed:
    """Which track holds which library path, and done tracks sent back when a file is lost."""

    def __init__(self, store: Store, events: EventLog, jobs: JobQueue) -> None:
        self._store = store
        self._events = events
        self._jobs = jobs

    def count_filed(self) -> int:
        query = (
            select(func.count())
            .select_from(tracks.join(jobs, jobs.c.track_id == tracks.c.id))
            .where(jobs.c.state == JobState.DONE)
            .where(tracks.c.kind != LinkKind.COLLECTION)
            .where(tracks.c.path.is_not(None))
        )
        with self._store.read() as conn:
            return int(conn.execute(query).scalar() or 0)

    def iter_filed(
        self, keys: Sequence[str] | None = None, *, batch: int = BATCH
    ) -> Iterator[TrackRow]:
        """Done tracks that have a library path, in id order, ``batch`` rows per query."""
        if keys is not None:
            for start in range(0, len(keys), batch):
                chunk = list(keys[start : start + batch])
                query = _filed_query().where(tracks.c.key.in_(chunk))
                with self._store.read() as conn:
                    rows = [row_to_track(r) for r in conn.execute(query.order_by(tracks.c.id))]
                yield from rows
            return
        last = 0
        while True:
            query = _filed_query().where(tracks.c.id > last).order_by(tracks.c.id).limit(batch)
            with self._store.read() as conn:
                rows = [row_to_track(r) for r in conn.execute(query)]
            if not rows:
                return
            yield from rows
            last = rows[-1].id

    def owners(self, paths: Sequence[str]) -> dict[str, str]:
        """``{path: key}`` for those of ``paths`` (library-relative) that a track holds."""
        found: dict[str, str] = {}
        for start in range(0, len(paths), BATCH):
            chunk = list(paths[start : start + BATCH])
            with self._store.read() as conn:
                rows = conn.execute(
                    select(tracks.c.path, tracks.c.key).where(tracks.c.path.in_(chunk))
                )
                found.update({row.path: row.key for row in rows})
        return found

    def reserve_path(self, track_id: int, path: str) -> bool:
        """Claim a library path for a track. False if another track holds it."""
        with self._store.write() as conn:
            holder = conn.execute(select(tracks.c.id).where(tracks.c.path == path)).scalar()
            if holder is not None and holder != track_id:
                return False
            conn.execute(update(tracks).where(tracks.c.id == track_id).values(path=path))
            return True

    def path_owner(self, path: str) -> str | None:
        with self._store.read() as conn:
            return conn.execute(select(tracks.c.key).where(tracks.c.path == path)).scalar()

    def same_recording(self, track_id: int, meta: TrackMeta) -> TrackRow | None:
        """A filed track (not ``track_id``) that is the same recording as ``meta``."""
        if not meta.title:
            return None
        with self._store.read() as conn:
            rows = conn.execute(
                select(*TRACK_COLUMNS)
                .join(jobs, jobs.c.track_id == tracks.c.id)
                .where(
                    tracks.c.id != track_id,
                    jobs.c.state == JobState.DONE,
                    tracks.c.path.is_not(None),
                    tracks.c.kind == LinkKind.TRACK,
                    func.lower(tracks.c.title) == meta.title.lower(),
                )
                .limit(50)
            ).all()
        for row in rows:
            other = row_to_track(row)
            if recordings.same_recording(meta, other.meta, other.duration_s):
                return other
        return None

    def begin_move(self, track_id: int, old: str, new: str) -> bool:
        """Point a track at ``new`` (keeping ``old`` in ``replaces_path``). False if another
        track holds ``new``."""
        with self._store.write() as conn:
            holder = conn.execute(select(tracks.c.id).where(tracks.c.path == new)).scalar()
            if holder is not None and holder != track_id:
                return False
            conn.execute(
                update(tracks).where(tracks.c.id == track_id).values(path=new, replaces_path=old)
            )
            return True

    def end_move(self, track_id: int, final: str) -> None:
        with self._store.write() as conn:
            conn.execute(
                update(tracks).where(tracks.c.id == track_id).values(path=final, replaces_path=None)
            )
            self._events.record(conn, track_id, "info", "moved", f"filed as {final}")

    def undo_move(self, track_id: int, old: str) -> None:
        with self._store.write() as conn:
            conn.execute(
                update(tracks).where(tracks.c.id == track_id).values(path=old, replaces_path=None)
            )

    def requeue_filed(self, keys: Iterable[str], why: str) -> int:
        """Done tracks whose file is gone or broken: forget the path and fetch them again."""
        now = time.time()
        count = 0
        with self._store.write() as conn:
            for key in keys:
                track_id = conn.execute(select(tracks.c.id).where(tracks.c.key == key)).scalar()
                if track_id is None:
                    continue
                conn.execute(
                    update(tracks)
                    .where(tracks.c.id == track_id)
                    .values(path=None, replaces_path=None)
                )
                self._jobs.requeue_in(conn, track_id, now, why)
                count += 1
        return count
