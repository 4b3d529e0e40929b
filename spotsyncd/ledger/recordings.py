"""One recording, two places: an artist's single and the album it is also on.

Spotify gives the album track and the single different track IDs (different keys), so the
ledger finds the same recording by ISRC, or by title, main artist and a duration within 2 s,
among the tracks already filed. The second one is not downloaded again: it is marked done with
no file of its own, and both tracks' events say where the other one is.
"""

from __future__ import annotations

import json
import time

from sqlalchemy import func, select, update

from spotsyncd.core.models import JobState, LinkKind, TrackMeta
from spotsyncd.ledger import db
from spotsyncd.ledger.base import LedgerBase
from spotsyncd.ledger.jobs import JobsMixin
from spotsyncd.ledger.rows import TRACK_COLUMNS, TrackRow, row_to_track
from spotsyncd.ledger.schema import jobs, tracks

DURATION_TOLERANCE_S = 2.0


class RecordingsMixin(LedgerBase):
    def same_recording(self, track_id: int, meta: TrackMeta) -> TrackRow | None:
        """A filed track (not ``track_id``) that is the same recording as ``meta``."""
        if not meta.title:
            return None
        with db.read(self.engine) as conn:
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
            if _same(meta, other.meta, other.duration_s):
                return other
        return None

    def finish_duplicate(
        self, job_id: int, track_id: int, *, of: TrackRow, meta: TrackMeta, where: str
    ) -> None:
        """Mark ``track_id`` done as the same recording as ``of`` (no second file)."""
        now = time.time()
        with db.write(self.engine) as conn:
            conn.execute(
                update(tracks)
                .where(tracks.c.id == track_id)
                .values(
                    kind=LinkKind.TRACK,
                    meta_json=json.dumps(meta.to_dict()),
                    title=meta.title,
                    artist=meta.artist,
                    album=meta.album,
                    duration_s=meta.duration_s,
                    done_at=now,
                )
            )
            JobsMixin._job_done(conn, track_id, now)
            self._event(
                conn,
                track_id,
                "info",
                "done",
                f"same recording as {of.key}, filed at {of.path}; not downloaded again",
            )
            self._event(conn, of.id, "info", "also_on", f"the same recording is also {where}")


def _same(wanted: TrackMeta, filed: TrackMeta, filed_duration: float | None) -> bool:
    if wanted.isrc and filed.isrc:
        return wanted.isrc.upper() == filed.isrc.upper()
    mine = {a.lower() for a in wanted.artists[:1]}
    theirs = {a.lower() for a in filed.artists}
    if not mine or not mine & theirs:
        return False
    duration = filed.duration_s or filed_duration
    if wanted.duration_s is None or duration is None:
        return False
    return abs(wanted.duration_s - duration) <= DURATION_TOLERANCE_S
