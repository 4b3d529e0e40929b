"""Remote workers in the ledger: who is alive (heartbeats), and jobs handed out through a broker.

With ``queue.backend: celery`` the daemon (coordinator) claims a job for dispatch: the job turns
``running`` with ``worker = 'queued'`` and a task carrying only its id goes to the broker. The
worker that receives it takes the job with one conditional update (``worker`` from ``'queued'``
to its own name), so a task delivered twice runs once. The ledger, not the broker, says what is
done: a job whose task was lost (broker flushed) is still ``queued`` and is sent again; a job
whose worker stopped heart-beating goes back to ``queued`` for another worker.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import and_, delete, func, insert, or_, select, update

from spotsyncd.core.models import JobState
from spotsyncd.ledger.base import Store
from spotsyncd.ledger.rows import ClaimedJob, track_by_id
from spotsyncd.ledger.schema import jobs, workers
from spotsyncd.ledger.tracks.event_log import EventLog
from spotsyncd.ledger.tracks.jobs import JobQueue

QUEUED = "queued"  # jobs.worker of a job dispatched to the broker, not yet taken


@dataclass(frozen=True)
class WorkerRow:
    name: str
    role: str
    host: str
    pid: int
    version: str
    concurrency: int
    started_at: float
    seen_at: float
    stopped_at: float | None
    state: str | None = None  # "ok", or "offline" while its machine has no network
    state_reason: str | None = None


class Workers:
    """Who is alive, and the jobs a coordinator hands to them through the broker."""

    def __init__(self, store: Store, events: EventLog, jobs: JobQueue) -> None:
        self._store = store
        self._events = events
        self._jobs = jobs

    # ------------------------------------------------------------------ heartbeats

    def register_worker(
        self, name: str, *, role: str, host: str, pid: int, version: str, concurrency: int
    ) -> None:
        now = time.time()
        with self._store.write(serial=False) as conn:
            conn.execute(delete(workers).where(workers.c.name == name))
            conn.execute(
                insert(workers).values(
                    name=name,
                    role=role,
                    host=host,
                    pid=pid,
                    version=version,
                    concurrency=concurrency,
                    started_at=now,
                    seen_at=now,
                )
            )

    def heartbeat(self, name: str, *, state: str | None = None, reason: str | None = None) -> None:
        """``name`` is alive; with ``state``, what it says of itself ("ok", "offline")."""
        values: dict[str, object] = {"seen_at": time.time()}
        if state is not None:
            values.update(state=state, state_reason=reason)
        with self._store.write(serial=False) as conn:
            conn.execute(update(workers).where(workers.c.name == name).values(values))

    def worker_stopped(self, name: str) -> None:
        now = time.time()
        with self._store.write(serial=False) as conn:
            conn.execute(
                update(workers).where(workers.c.name == name).values(seen_at=now, stopped_at=now)
            )

    def live_workers(self, within_s: float, *, role: str = "worker") -> list[WorkerRow]:
        """Workers that heart-beat in the last ``within_s`` seconds and did not stop."""
        cutoff = time.time() - within_s
        with self._store.read() as conn:
            rows = conn.execute(
                select(workers)
                .where(workers.c.role == role, workers.c.seen_at >= cutoff)
                .where(workers.c.stopped_at.is_(None))
                .order_by(workers.c.started_at)
            ).all()
        return [WorkerRow(**row._mapping) for row in rows]

    def recent_workers(self, within_s: float) -> list[WorkerRow]:
        """Every process seen in the last ``within_s`` seconds, stopped or not, coordinator
        first (``status`` and ``doctor`` list them with their state)."""
        cutoff = time.time() - within_s
        with self._store.read() as conn:
            rows = conn.execute(
                select(workers)
                .where(workers.c.seen_at >= cutoff)
                .order_by(workers.c.role, workers.c.started_at)
            ).all()
        return [WorkerRow(**row._mapping) for row in rows]

    def forget_workers(self, older_than_s: float) -> int:
        """Drop rows of workers gone for longer than ``older_than_s`` (housekeeping)."""
        cutoff = time.time() - older_than_s
        with self._store.write(serial=False) as conn:
            result = conn.execute(delete(workers).where(workers.c.seen_at < cutoff))
            return int(result.rowcount or 0)

    # ------------------------------------------------------------------ dispatch

    def dispatch_next(self) -> ClaimedJob | None:
        """The coordinator claims the next due job for the broker (``worker = 'queued'``)."""
        return self._jobs.claim_next_job(QUEUED)

    def take_job(self, job_id: int, worker: str) -> ClaimedJob | None:
        """A worker takes a dispatched job. None: someone else has it, or it is no longer
        dispatched (a duplicate or stale task): the task must then do nothing."""
        now = time.time()
        with self._store.write(serial=False) as conn:
            row = conn.execute(
                update(jobs)
                .where(jobs.c.id == job_id, jobs.c.state == JobState.RUNNING)
                .where(jobs.c.worker == QUEUED)
                .values(worker=worker, claimed_at=now, updated_at=now)
                .returning(jobs.c.id, jobs.c.track_id, jobs.c.attempts)
            ).first()
            if row is None:
                return None
            track = track_by_id(conn, row.track_id)
        return ClaimedJob(job_id=row.id, attempts=row.attempts, track=track)

    def give_back(self, job_id: int, worker: str) -> bool:
        """A worker that cannot finish a job it took hands it back for another worker."""
        with self._store.write(serial=False) as conn:
            result = conn.execute(
                update(jobs)
                .where(jobs.c.id == job_id, jobs.c.state == JobState.RUNNING)
                .where(jobs.c.worker == worker)
                .values(worker=QUEUED, claimed_at=0.0, updated_at=time.time(), progress_json=None)
            )
            return bool(result.rowcount)

    def dispatched_waiting(self, older_than_s: float) -> list[int]:
        """Jobs dispatched more than ``older_than_s`` ago that no worker took (their task was
        lost, e.g. the broker restarted empty): marked as sent again now; their ids."""
        now = time.time()
        stale = and_(
            jobs.c.state == JobState.RUNNING,
            jobs.c.worker == QUEUED,
            or_(jobs.c.claimed_at.is_(None), jobs.c.claimed_at < now - older_than_s),
        )
        with self._store.write() as conn:
            ids = [int(i) for i in conn.execute(select(jobs.c.id).where(stale)).scalars()]
            if ids:
                conn.execute(update(jobs).where(jobs.c.id.in_(ids)).values(claimed_at=now))
        return ids

    def release_orphans(self, dead_after_s: float) -> list[tuple[int, str]]:
        """Running jobs whose worker stopped heart-beating (killed, machine gone) go back to
        ``queued`` for another worker; returns (job id, the dead worker's name)."""
        now = time.time()
        alive = select(workers.c.name).where(
            workers.c.seen_at >= now - dead_after_s, workers.c.stopped_at.is_(None)
        )
        orphaned = and_(
            jobs.c.state == JobState.RUNNING,
            jobs.c.worker.is_not(None),
            jobs.c.worker != QUEUED,
            jobs.c.worker.not_in(alive),
            # a worker just taking a job may not have heart-beaten yet
            func.coalesce(jobs.c.claimed_at, 0) < now - dead_after_s,
        )
        with self._store.write() as conn:
            rows = conn.execute(select(jobs.c.id, jobs.c.track_id, jobs.c.worker).where(orphaned))
            found = [(int(r.id), int(r.track_id), str(r.worker)) for r in rows]
            for job_id, track_id, worker in found:
                conn.execute(
                    update(jobs)
                    .where(jobs.c.id == job_id)
                    .values(worker=QUEUED, claimed_at=0.0, updated_at=now, progress_json=None)
                )
                self._events.record(
                    conn,
                    track_id,
                    "warning",
                    "worker_lost",
                    f"worker {worker} stopped heart-beating; the job goes to another worker",
                )
        return [(job_id, worker) for job_id, _track, worker in found]

    def running_count(self) -> int:
        with self._store.read() as conn:
            count = conn.execute(
                select(func.count()).where(jobs.c.state == JobState.RUNNING)
            ).scalar()
        return int(count or 0)
