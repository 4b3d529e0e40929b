"""Filed tracks for library care (``verify``, ``retag``): streamed reads and safe path moves.

Reads come in batches by id (keyset pagination), so a 50,000-track library never sits in memory.
A move is written in two steps: the new path goes in with the old one kept in ``replaces_path``
until the file has moved, so a crash in between can be told from a lost file and finished.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Select, func, select, update

from spotsyncd.core.models import JobState, LinkKind
from spotsyncd.ledger import db
from spotsyncd.ledger.base import LedgerBase
from spotsyncd.ledger.rows import TRACK_COLUMNS, TrackRow, row_to_track
from spotsyncd.ledger.schema import jobs, tracks

BATCH = 500


class FiledMixin(LedgerBase):
    def _filed_query(self) -> Select[Any]:
        return (
            select(*TRACK_COLUMNS)
            .join(jobs, jobs.c.track_id == tracks.c.id)
            .where(jobs.c.state == JobState.DONE)
            .where(tracks.c.kind != LinkKind.COLLECTION)
            .where(tracks.c.path.is_not(None))
        )

    def count_filed(self) -> int:
        query = (
            select(func.count())
            .select_from(tracks.join(jobs, jobs.c.track_id == tracks.c.id))
            .where(jobs.c.state == JobState.DONE)
            .where(tracks.c.kind != LinkKind.COLLECTION)
            .where(tracks.c.path.is_not(None))
        )
        with db.read(self.engine) as conn:
            return int(conn.execute(query).scalar() or 0)

    def iter_filed(
        self, keys: Sequence[str] | None = None, *, batch: int = BATCH
    ) -> Iterator[TrackRow]:
        """Done tracks that have a library path, in id order, ``batch`` rows per query."""
        if keys is not None:
            for start in range(0, len(keys), batch):
                chunk = list(keys[start : start + batch])
                query = self._filed_query().where(tracks.c.key.in_(chunk))
                with db.read(self.engine) as conn:
                    rows = [row_to_track(r) for r in conn.execute(query.order_by(tracks.c.id))]
                yield from rows
            return
        last = 0
        while True:
            query = self._filed_query().where(tracks.c.id > last).order_by(tracks.c.id).limit(batch)
            with db.read(self.engine) as conn:
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
            with db.read(self.engine) as conn:
                rows = conn.execute(
                    select(tracks.c.path, tracks.c.key).where(tracks.c.path.in_(chunk))
                )
                found.update({row.path: row.key for row in rows})
        return found

    def begin_move(self, track_id: int, old: str, new: str) -> bool:
        """Point a track at ``new`` (keeping ``old`` in ``replaces_path``). False if another
        track holds ``new``."""
        with db.write(self.engine) as conn:
            holder = conn.execute(select(tracks.c.id).where(tracks.c.path == new)).scalar()
            if holder is not None and holder != track_id:
                return False
            conn.execute(
                update(tracks).where(tracks.c.id == track_id).values(path=new, replaces_path=old)
            )
            return True

    def end_move(self, track_id: int, final: str) -> None:
        with db.write(self.engine) as conn:
            conn.execute(
                update(tracks).where(tracks.c.id == track_id).values(path=final, replaces_path=None)
            )
            self._event(conn, track_id, "info", "moved", f"filed as {final}")

    def undo_move(self, track_id: int, old: str) -> None:
        with db.write(self.engine) as conn:
            conn.execute(
                update(tracks).where(tracks.c.id == track_id).values(path=old, replaces_path=None)
            )

    def requeue_filed(self, keys: Iterable[str], why: str) -> int:
        """Done tracks whose file is gone or broken: forget the path and fetch them again."""
        now = time.time()
        count = 0
        with db.write(self.engine) as conn:
            for key in keys:
                track_id = conn.execute(select(tracks.c.id).where(tracks.c.key == key)).scalar()
                if track_id is None:
                    continue
                conn.execute(
                    update(tracks)
                    .where(tracks.c.id == track_id)
                    .values(path=None, replaces_path=None)
                )
                self._requeue(conn, track_id, now, why)
                count += 1
        return count
