"""Job state changes: claim, finish, fail with backoff, defer, retry, reset after a crash."""

from __future__ import annotations

import json
import time
from collections.abc import Collection, Iterable, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    Update,
    bindparam,
    case,
    func,
    or_,
    select,
    text,
    update,
)

from spotsyncd.core.errors import UserError
from spotsyncd.core.models import Identity, JobState, LinkKind, TrackMeta
from spotsyncd.core.retries import NextStep, next_step
from spotsyncd.ledger.base import Store
from spotsyncd.ledger.rows import ClaimedJob, TrackRow, track_by_id
from spotsyncd.ledger.schema import QUEUED_SQL, jobs, tracks
from spotsyncd.ledger.tracks.event_log import EventLog

# States whose jobs a worker takes once ``retry_at`` (if any) has come.
QUEUED = (JobState.PENDING, JobState.WAITING)


def due_jobs(scoped: bool) -> Select[tuple[int]]:
    """The next due job's id, oldest first (``claim_now``; scoped: among the track ids
    ``only``). The queued states are written out, not bound, as in the partial index
    ix_jobs_due: a database uses a partial index only where it sees the query asks for its
    rows."""
    due = select(jobs.c.id).where(
        text(QUEUED_SQL),
        or_(jobs.c.retry_at.is_(None), jobs.c.retry_at <= bindparam("claim_now")),
    )
    if scoped:
        due = due.where(jobs.c.track_id.in_(bindparam("only", expanding=True)))
    return due.order_by(text("(retry_at IS NOT NULL)"), jobs.c.id).limit(1)


def _claim_statement(scoped: bool) -> Update:
    """The claim, built once (claims are the hot path: building the statement each time cost
    more CPU than running it). Parameters: ``claim_now``, ``claim_worker`` and, scoped, the
    track ids ``only``."""
    chosen = due_jobs(scoped).with_for_update(skip_locked=True).scalar_subquery()
    return (
        update(jobs)
        .where(jobs.c.id == chosen, jobs.c.state.in_(QUEUED))
        .values(
            state=JobState.RUNNING,
            worker=bindparam("claim_worker"),
            claimed_at=bindparam("claim_now"),
            updated_at=bindparam("claim_now"),
            attempts=jobs.c.attempts + 1,
        )
        .returning(jobs.c.id, jobs.c.track_id, jobs.c.attempts)
    )


_CLAIM = {False: _claim_statement(False), True: _claim_statement(True)}


class JobQueue:
    """Jobs and their claims: the one place a job's state changes."""

    def __init__(self, store: Store, events: EventLog) -> None:
        self._store = store
        self._events = events

    def reset_running(self) -> int:
        """Jobs left ``running`` by a crash go back to pending (attempt not counted)."""
        with self._store.write() as conn:
            result = conn.execute(
                update(jobs)
                .where(jobs.c.state == JobState.RUNNING)
                .values(
                    state=JobState.PENDING,
                    worker=None,
                    attempts=_one_attempt_back(),
                    updated_at=time.time(),
                    progress_json=None,
                )
            )
            return int(result.rowcount or 0)

    def claim_next_job(
        self, worker: str, *, now: float | None = None, only: Collection[int] | None = None
    ) -> ClaimedJob | None:
        """Atomically take the oldest due pending (or waiting) job, with ``only`` the oldest
        among those tracks' jobs: one ``UPDATE … RETURNING`` whose row is chosen by a subquery
        with ``FOR UPDATE SKIP LOCKED`` (PostgreSQL: concurrent claimers each lock a different
        row and never wait on one another; SQLite has no row locks and ``BEGIN IMMEDIATE`` lets
        one claimer in at a time) and updated only while still queued, so a job is never
        handed out twice."""
        now = time.time() if now is None else now
        params: dict[str, Any] = {"claim_now": now, "claim_worker": worker}
        if only is not None:
            params["only"] = sorted(only)
        with self._store.write(serial=False) as conn:
            row = conn.execute(_CLAIM[only is not None], params).first()
            if row is None:
                return None
            track = track_by_id(conn, row.track_id)
            self._events.record(conn, row.track_id, "info", "started", f"attempt {row.attempts}")
        return ClaimedJob(job_id=row.id, attempts=row.attempts, track=track)

    def next_due_at(self) -> float | None:
        """When the next pending or waiting job becomes due (None: nothing queued)."""
        with self._store.read() as conn:
            row = conn.execute(
                select(func.count(), func.min(func.coalesce(jobs.c.retry_at, 0))).where(
                    jobs.c.state.in_(QUEUED)
                )
            ).first()
        if row is None or not row[0]:
            return None
        return float(row[1])

    def finish_job(
        self,
        job_id: int,
        track_id: int,
        *,
        path: str,
        size_bytes: int,
        duration_s: float | None,
        meta: TrackMeta,
        info: dict[str, Any] | None,
        audio_settings: str,
        loudness_lufs: float | None,
        download_s: float,
        process_s: float,
        message: str,
        identity: Identity | None = None,
    ) -> None:
        now = time.time()
        verdict = {} if identity is None else {
            "verdict": str(identity.verdict), "identity_json": json.dumps(identity.to_dict())
        }  # fmt: skip
        with self._store.write() as conn:
            conn.execute(
                update(tracks)
                .where(tracks.c.id == track_id)
                .values(
                    path=path,
                    replaces_path=None,
                    kind=LinkKind.TRACK,  # a generic link that turned out to be one item
                    size_bytes=size_bytes,
                    duration_s=duration_s,
                    meta_json=json.dumps(meta.to_dict()),
                    title=meta.title,
                    artist=meta.artist,
                    album=meta.album,
                    info_json=json.dumps(info) if info else None,
                    audio_settings=audio_settings,
                    loudness_lufs=loudness_lufs,
                    done_at=now,
                    download_s=download_s,
                    process_s=process_s,
                    **verdict,
                )
            )
            self.mark_done_in(conn, track_id, now)
            self._events.record(conn, track_id, "info", "done", message)
            if identity is not None:
                self._events.record(conn, track_id, "info", str(identity.verdict), identity.reason)

    def finish_duplicate(
        self, job_id: int, track_id: int, *, of: TrackRow, meta: TrackMeta, where: str
    ) -> None:
        """Mark ``track_id`` done as the same recording as ``of`` (no second file)."""
        now = time.time()
        with self._store.write() as conn:
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
            self.mark_done_in(conn, track_id, now)
            self._events.record(
                conn,
                track_id,
                "info",
                "done",
                f"same recording as {of.key}, filed at {of.path}; not downloaded again",
            )
            self._events.record(
                conn, of.id, "info", "also_on", f"the same recording is also {where}"
            )

    def fail_job(
        self,
        job_id: int,
        track_id: int,
        *,
        error_class: str,
        message: str,
        retryable: bool,
        max_retries: int,
        backoff_s: float,
        slow_retries: Sequence[float] = (),
    ) -> NextStep:
        """Record a failed attempt and take the next step of the retry ladder
        (``core.retries``): a fast retry (pending), a slow one (waiting) or failed for good."""
        now = time.time()
        with self._store.write() as conn:
            attempts = conn.execute(select(jobs.c.attempts).where(jobs.c.id == job_id)).scalar()
            step = next_step(
                int(attempts or 1),
                retryable=retryable,
                max_retries=max_retries,
                backoff_s=backoff_s,
                slow_retries=slow_retries,
                now=now,
            )
            conn.execute(
                update(jobs)
                .where(jobs.c.id == job_id)
                .values(
                    state=step.state,
                    retry_at=step.retry_at,
                    error_class=error_class,
                    error=message,
                    updated_at=now,
                    worker=None,
                    progress_json=None,
                )
            )
            what = f"attempt {step.attempts} failed ({error_class}: {message}); "
            if step.final:
                self._events.record(conn, track_id, "error", "failed", what + step.describe(now))
            elif step.state == JobState.WAITING:
                self._events.record(conn, track_id, "warning", "waiting", what + step.describe(now))
            else:
                self._events.record(conn, track_id, "warning", "retry", what + step.describe(now))
            return step

    def defer_job(self, job_id: int, track_id: int, until: float, why: str) -> None:
        """Put a claimed job back without spending an attempt (rate limit, open circuit,
        shutdown)."""
        with self._store.write() as conn:
            conn.execute(
                update(jobs)
                .where(jobs.c.id == job_id, jobs.c.state == JobState.RUNNING)
                .values(
                    state=JobState.PENDING,
                    retry_at=until,
                    attempts=_one_attempt_back(),
                    updated_at=time.time(),
                    worker=None,
                    progress_json=None,
                    error=why if until > time.time() else jobs.c.error,
                )
            )
            if until > time.time():
                self._events.record(conn, track_id, "info", "deferred", why)

    def wait_for_network(
        self, track_ids: Collection[int], until: float, why: str, *, give_back: int = 0
    ) -> int:
        """The queued jobs of these tracks, whose host is cut off, wait for the network until
        ``until`` (the next probe), saying ``why``: pending jobs not already put off longer get
        that ``retry_at`` and reason (``status``, ``why`` and ``get`` show it; no attempt is
        touched). With ``give_back``, that many attempts lost only because the network was down
        (confirmed later) are returned too, out of any slow retry, while the last failure is
        still that one. Returns how many jobs changed."""
        ids = sorted(track_ids)
        changed = 0
        with self._store.write() as conn:
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                if give_back:
                    statement = (
                        update(jobs)
                        .where(
                            jobs.c.track_id.in_(chunk),
                            jobs.c.state.in_(QUEUED),
                            jobs.c.error_class == "network_down",
                        )
                        .values(
                            state=JobState.PENDING,
                            attempts=case(
                                (jobs.c.attempts > give_back, jobs.c.attempts - give_back),
                                else_=0,
                            ),
                        )
                    )
                else:
                    statement = update(jobs).where(
                        jobs.c.track_id.in_(chunk),
                        jobs.c.state == JobState.PENDING,
                        or_(jobs.c.retry_at.is_(None), jobs.c.retry_at < until),
                    )
                statement = statement.values(retry_at=until, error=why, updated_at=time.time())
                changed += int(conn.execute(statement).rowcount or 0)
            if give_back and changed:
                for track_id in ids:
                    self._events.record(conn, track_id, "info", "deferred", why)
        return changed

    def set_progress(self, job_id: int, progress: dict[str, Any]) -> None:
        with self._store.write(serial=False) as conn:
            conn.execute(
                update(jobs).where(jobs.c.id == job_id).values(progress_json=json.dumps(progress))
            )

    def set_candidates(self, track_id: int, ranked: list[dict[str, Any]]) -> None:
        with self._store.write() as conn:
            conn.execute(
                update(tracks)
                .where(tracks.c.id == track_id)
                .values(candidates_json=json.dumps(ranked))
            )

    def retry(
        self, keys: Iterable[str] = (), *, failed: bool = False, waiting: bool = False
    ) -> int:
        """Send tracks back to pending with fresh attempts. Done tracks are left alone.
        ``failed``: every failed track but those a follow set aside (a podcast's back
        catalogue: named by key they come back); ``waiting``: every queued track that waits
        for a later retry (``retry_at`` in the future), now."""
        now = time.time()
        with self._store.write() as conn:
            ids: list[int] = []
            if failed:
                ids += (
                    conn.execute(
                        select(jobs.c.track_id).where(
                            jobs.c.state == JobState.FAILED,
                            jobs.c.error_class.is_distinct_from("set_aside"),
                        )
                    )
                    .scalars()
                    .all()
                )
            if waiting:
                ids += (
                    conn.execute(
                        select(jobs.c.track_id).where(
                            jobs.c.state.in_(QUEUED), jobs.c.retry_at > now
                        )
                    )
                    .scalars()
                    .all()
                )
            for key in keys:
                row = conn.execute(
                    select(tracks.c.id, jobs.c.state)
                    .join(jobs, jobs.c.track_id == tracks.c.id)
                    .where(tracks.c.key == key)
                ).first()
                if row is not None and row.state in (JobState.FAILED, JobState.SKIPPED, *QUEUED):
                    ids.append(row.id)
            for track_id in ids:
                self.requeue_in(conn, track_id, now, "retry requested")
            return len(ids)

    def set_override(self, key: str, url: str) -> TrackRow | None:
        """Use ``url``'s audio for ``key`` (manual match) and run it again, even if done."""
        now = time.time()
        with self._store.write() as conn:
            row = conn.execute(
                select(tracks.c.id, jobs.c.state)
                .join(jobs, jobs.c.track_id == tracks.c.id)
                .where(tracks.c.key == key)
            ).first()
            if row is None:
                return None
            if row.state == JobState.RUNNING:
                raise UserError(
                    f"{key} is being processed right now; run this again once it has finished"
                )
            self.rematch_in(conn, row.id, url, now)
            return track_by_id(conn, row.id)

    def mark_done_in(self, conn: Connection, track_id: int, now: float) -> None:
        """Mark a track's job done inside the caller's transaction (a filed track, a listed
        collection, a duplicate recording)."""
        conn.execute(
            update(jobs)
            .where(jobs.c.track_id == track_id)
            .values(
                state=JobState.DONE,
                updated_at=now,
                error=None,
                error_class=None,
                retry_at=None,
                progress_json=None,
                worker=None,
            )
        )

    def requeue_in(self, conn: Connection, track_id: int, now: float, why: str) -> None:
        """Send a track back to pending with fresh attempts, inside the caller's transaction."""
        conn.execute(update(jobs).where(jobs.c.track_id == track_id).values(**fresh_pending(now)))
        self._events.record(conn, track_id, "info", "requeued", why)

    def rematch_in(self, conn: Connection, track_id: int, url: str, now: float) -> None:
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
        self.requeue_in(conn, track_id, now, f"manual match: {url}")


def _one_attempt_back() -> ColumnElement[int]:
    """``attempts - 1``, never below 0 (an attempt that was not really made)."""
    return case((jobs.c.attempts > 0, jobs.c.attempts - 1), else_=0)


def fresh_pending(now: float) -> dict[str, Any]:
    """A job's columns sent back to pending with fresh attempts and no error (a track asked
    for again: requeued, or listed again by a follow)."""
    return {"state": JobState.PENDING, "attempts": 0, "retry_at": None, "error": None,
            "error_class": None, "updated_at": now}  # fmt: skip
