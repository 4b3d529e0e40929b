"""When follows are polled: one APScheduler 3.x interval job per follow.

The only module that imports ``apscheduler``. Each follow's job runs every ``interval_s`` with
±10 % random jitter (so 50 follows added together drift apart instead of polling in a burst),
``coalesce`` (a suspended laptop polls once on waking, not once per missed interval) and one
instance at a time. Jobs run on a small thread pool, so one slow source never delays the other
follows; polls only write the ledger, so the pool stays small. Between polls the scheduler's
thread sleeps until the next run time: no busy loop, nothing to do while idle.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Protocol

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from spotsyncd.core.errors import log_problem

log = logging.getLogger(__name__)

JITTER_RATIO = 0.1
MIN_GRACE_S = 60


class ScheduledFollow(Protocol):
    """What scheduling needs of a follow (``ledger.FollowRow`` has it)."""

    @property
    def id(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def key(self) -> str: ...
    @property
    def interval_s(self) -> int: ...


# Polls one follow by id; returns when to poll again if sooner than the interval (back-off).
PollFunction = Callable[[int], float | None]


class FollowScheduler:
    def __init__(
        self,
        poll: PollFunction,
        *,
        workers: int = 4,
        first_delay_s: float = 5.0,
        stagger_s: float = 1.0,
    ) -> None:
        self._poll = poll
        self._first_delay_s = first_delay_s
        self._stagger_s = stagger_s
        self._lock = threading.Lock()
        self._follows: dict[str, tuple[str, str, int]] = {}  # job id → (name, key, interval)
        self._last_slot = datetime.min.replace(tzinfo=UTC)
        self._running: set[int] = set()  # follow ids being polled
        self._again: set[int] = set()  # poll_now asked while they were being polled
        self._scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(max_workers=workers)},
            timezone=UTC,
            daemon=True,
        )

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        self._scheduler.start()

    def shutdown(self) -> None:
        """Stop at once: running polls are not waited for (they only write the ledger, in
        transactions, and the process is about to exit)."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    def alive(self) -> bool:
        """For the systemd watchdog: the scheduler runs and its thread is still there."""
        thread = getattr(self._scheduler, "_thread", None)  # APScheduler 3 keeps no public one
        return bool(self._scheduler.running and thread is not None and thread.is_alive())

    # ------------------------------------------------------------------ follows

    def sync(self, follows: Iterable[ScheduledFollow]) -> None:
        """Make the jobs match ``follows``: add new ones (first poll soon, staggered), drop
        unfollowed ones, and reschedule those whose interval changed."""
        with self._lock:
            wanted = {str(f.id): f for f in follows}
            for job_id in set(self._follows) - set(wanted):
                self._remove(job_id)
            for job_id, follow in wanted.items():
                known = self._follows.get(job_id)
                if known is None:
                    self._add(job_id, follow)
                else:
                    if known[2] != follow.interval_s:
                        self._scheduler.reschedule_job(job_id, trigger=_trigger(follow.interval_s))
                        self._scheduler.modify_job(job_id, misfire_grace_time=_grace(follow))
                    if known[0] != follow.name:
                        self._scheduler.modify_job(job_id, name=follow.name)
                self._follows[job_id] = (follow.name, follow.key, follow.interval_s)

    def poll_now(self, names: Iterable[str] = ()) -> list[str]:
        """Run these follows' polls now (all when ``names`` is empty); names or keys. Returns
        the names of the follows that were found. A follow being polled right now is polled
        once more when that poll ends (the source may have changed since it started)."""
        asked = set(names)
        now = datetime.now(UTC)
        started = []
        with self._lock:
            for job_id, (name, key, _interval) in self._follows.items():
                if asked and name not in asked and key not in asked:
                    continue
                started.append(name)
                if int(job_id) in self._running:
                    self._again.add(int(job_id))
                    continue
                with contextlib.suppress(JobLookupError):
                    self._scheduler.modify_job(job_id, next_run_time=now)
        return started

    def next_runs(self) -> dict[str, datetime]:
        """Each follow's next poll time (UTC), for ``spotsyncd follows``."""
        runs: dict[str, datetime] = {}
        for job in self._scheduler.get_jobs():
            when = getattr(job, "next_run_time", None)
            if isinstance(when, datetime):
                runs[job.name] = when
        return runs

    # ------------------------------------------------------------------ internals

    def _add(self, job_id: str, follow: ScheduledFollow) -> None:
        now = datetime.now(UTC)
        slot = max(
            now + timedelta(seconds=self._first_delay_s),
            self._last_slot + timedelta(seconds=self._stagger_s),
        )
        self._last_slot = slot
        self._scheduler.add_job(
            self._run,
            trigger=_trigger(follow.interval_s),
            args=(follow.id,),
            id=job_id,
            name=follow.name,
            next_run_time=slot,
            misfire_grace_time=_grace(follow),
            coalesce=True,
            max_instances=1,
            replace_existing=True,
        )

    def _remove(self, job_id: str) -> None:
        self._follows.pop(job_id, None)
        with contextlib.suppress(JobLookupError):
            self._scheduler.remove_job(job_id)

    def _run(self, follow_id: int) -> None:
        with self._lock:
            self._running.add(follow_id)
        try:
            while True:
                self._poll_once(follow_id)
                with self._lock:
                    if follow_id not in self._again:
                        return
                    self._again.discard(follow_id)
        finally:
            with self._lock:
                self._running.discard(follow_id)

    def _poll_once(self, follow_id: int) -> None:
        try:
            retry_at = self._poll(follow_id)
        except Exception as exc:  # noqa: BLE001 - keep the job scheduled whatever happened
            log_problem(log, f"follow {follow_id}: the poll failed", exc)
            return
        if retry_at is None:
            return
        # Back-off: try again then, instead of waiting for the next interval.
        with contextlib.suppress(JobLookupError):  # unfollowed while polling
            self._scheduler.modify_job(
                str(follow_id), next_run_time=datetime.fromtimestamp(retry_at, UTC)
            )


def _trigger(interval_s: int) -> IntervalTrigger:
    return IntervalTrigger(seconds=interval_s, jitter=interval_s * JITTER_RATIO, timezone=UTC)


def _grace(follow: ScheduledFollow) -> int:
    # A run missed by less than an interval (suspend, clock jump) still happens, once.
    return max(MIN_GRACE_S, follow.interval_s)
