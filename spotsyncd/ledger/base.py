"""What every part of the Ledger shares: the engine and the small writes they all make."""

from __future__ import annotations

import time

from sqlalchemy import Connection, Engine, bindparam, func, insert, select, update

from spotsyncd.core.models import JobState
from spotsyncd.ledger.rows import TRACK_COLUMNS, TrackRow, row_to_track
from spotsyncd.ledger.schema import events, jobs, tracks

# Built once: every claim reads its track and writes an event (the hot path).
_TRACK_BY_ID = (
    select(*TRACK_COLUMNS)
    .join(jobs, jobs.c.track_id == tracks.c.id)
    .where(tracks.c.id == bindparam("track_id"))
)
_EVENT = insert(events)


class LedgerBase:
    engine: Engine

    def _event(
        self,
        conn: Connection,
        track_id: int | None,
        level: str,
        kind: str,
        message: str,
        follow_id: int | None = None,
    ) -> None:
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

    def _requeue(self, conn: Connection, track_id: int, now: float, why: str) -> None:
        conn.execute(
            update(jobs)
            .where(jobs.c.track_id == track_id)
            .values(
                state=JobState.PENDING,
                attempts=0,
                retry_at=None,
                error=None,
                error_class=None,
                updated_at=now,
            )
        )
        self._event(conn, track_id, "info", "requeued", why)

    def _rematch(self, conn: Connection, track_id: int, url: str, now: float) -> None:
        """Use ``url``'s audio for a track and run it again. A file already filed stays until
        the new one is in place (``replaces_path``): a done track must not look finished."""
        conn.execute(
            update(tracks)
            .where(tracks.c.id == track_id)
            .values(
                override_url=url,
                replaces_path=func.coalesce(tracks.c.path, tracks.c.replaces_path),
                path=None,
            )
        )
        self._requeue(conn, track_id, now, f"manual match: {url}")

    def _track_by_id(self, conn: Connection, track_id: int) -> TrackRow:
        row = conn.execute(_TRACK_BY_ID, {"track_id": track_id}).one()
        return row_to_track(row)
