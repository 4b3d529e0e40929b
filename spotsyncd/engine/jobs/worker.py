"""The worker pool: threads that claim jobs from the ledger and run the pipeline.

Workers sleep on a condition until a producer wakes them or the next retry is due, so an idle
daemon costs nothing. Shutdown sets ``cancel``: running downloads and encodes stop promptly and
their jobs go back to pending (the ``.part`` file stays in staging for resume). The pool is
the daemon's ``JobRunner`` (runner.py) with ``queue.backend: local``.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
import traceback
from collections.abc import Callable

from spotsyncd.core.config import Config
from spotsyncd.core.errors import (
    BotCheckError,
    CancelledError,
    CredentialsError,
    DeferredError,
    JobError,
    NetworkDownError,
    RateLimitedError,
    ReviewNeededError,
    SpotsyncError,
    log_problem,
)
from spotsyncd.core.models import Progress
from spotsyncd.core.retries import NextStep
from spotsyncd.engine.jobs.filing import (
    audio_settings_for,
    describe_settings,
    staging_dir_for,
    stored_path,
)
from spotsyncd.engine.jobs.host_gate import Claimable, HostGate
from spotsyncd.engine.jobs.job_ledger import PoolLedger
from spotsyncd.engine.jobs.pipeline import JobResult, Pipeline
from spotsyncd.engine.jobs.stages import Stages, steps_text
from spotsyncd.engine.resilience.circuits import Circuits
from spotsyncd.engine.resilience.guard import CircuitHold
from spotsyncd.engine.resilience.outage import Outage
from spotsyncd.ledger import ClaimedJob, TrackRow, describe_error, is_unavailable

log = logging.getLogger(__name__)

IDLE_WAIT_S = 30.0
PROGRESS_EVERY_S = 1.0


class WorkerPool:
    def __init__(
        self,
        config: Config,
        ledger: PoolLedger,
        pipeline: Pipeline,
        circuits: Circuits,
        *,
        on_finished: Callable[[], None] | None = None,
        scope: set[int] | None = None,
        offline: HostGate | None = None,
        hold: CircuitHold | None = None,
    ) -> None:
        self.config = config
        self.ledger = ledger
        self.pipeline = pipeline
        self.circuits = circuits
        # Tells "this machine is offline" from "this host is down" and keeps the jobs of cut-off
        # hosts out of the claims (the daemon's; None: the host's problem, an ordinary
        # transient failure).
        self.offline = offline
        self.on_finished = on_finished or (lambda: None)
        # The daemon's: jobs of a service whose circuit is open wait in the ledger, unclaimed.
        self.hold = hold
        self.cancel = threading.Event()
        self._wake = threading.Condition()
        self._woken = False
        self._threads: list[threading.Thread] = []
        self._current: dict[str, ClaimedJob] = {}  # worker name → the job it runs
        self._current_lock = threading.Lock()
        # Downloads run ahead in their own slots while one file per core is processed.
        cores = config.audio.workers or os.cpu_count() or 1
        self.stages = Stages(config.download.workers, cores)
        # Threads beyond the slots: a job waiting on MusicBrainz's or AcoustID's rate budget
        # holds no slot, and these threads keep the slots it left busy with other jobs.
        self.lookup_threads = config.download.workers if pipeline.identity is not None else 0
        self.database = Outage("the ledger database", log, "check it and 'ledger.url'")
        # Only these tracks (and what their listings expand into) when set: ``spotsyncd get``.
        self.scope = scope
        self._scope_lock = threading.Lock()

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        for index in range(self.stages.threads + self.lookup_threads):
            thread = threading.Thread(
                target=self._loop,
                args=(f"worker-{index + 1}",),
                name=f"spotsyncd-worker-{index + 1}",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout_s: float = 8.0) -> None:
        self.cancel.set()
        self.wake()
        self.stages.interrupt()
        deadline = time.monotonic() + timeout_s
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        with self._current_lock:
            stuck = list(self._current.items())
        for name, job in stuck:
            # A transfer stalled inside a socket read cannot be interrupted; the process is
            # about to exit, so hand the job back now rather than leave it "running".
            log.warning(
                "%s: %s did not stop in time; it resumes at next start", name, job.track.key
            )
            self.ledger.defer_job(job.job_id, job.track.id, 0.0, "interrupted by shutdown")

    def wake(self) -> None:
        if self.offline is not None:
            self.offline.forget()  # new work, or a host back: claimable jobs changed
        with self._wake:
            self._woken = True
            self._wake.notify_all()

    def alive(self) -> bool:
        return bool(self._threads) and all(t.is_alive() for t in self._threads)

    def busy(self) -> int:
        return len(self._current)

    def run_until_idle(self, poll_s: float = 0.2) -> bool:
        """For one-shot runs: return once no job is running and none is due. False when jobs
        are left undone because the machine is offline (the caller exits 75, EX_TEMPFAIL)."""
        while not self.cancel.is_set():
            gated = self.offline.claimable(self.scope_ids()) if self.offline else None
            due = self.ledger.next_due_at() if gated is None else gated.next_due
            # Nothing running and nothing due soon: done (far-off retries wait for the daemon).
            if not self._current and (due is None or due - time.time() > 120):
                if gated is not None and gated.held:
                    log.warning("offline: the queued jobs are left for the next run")
                    return False
                return True
            time.sleep(poll_s)
        return True

    # ------------------------------------------------------------------ the loop

    def _loop(self, name: str) -> None:
        io_gate = self.stages.io_gate
        while not self.cancel.is_set():
            # A job is claimed only with an I/O slot in hand: no job sits "running" while it
            # waits to start. The pipeline gives the slot back when its network half is done.
            try:
                io_gate.acquire(self.cancel)
            except CancelledError:
                return
            try:
                self._claim_and_run(name)
            finally:
                if io_gate.holds():
                    io_gate.release()

    def _claim_and_run(self, name: str) -> None:
        only = self.scope_ids()
        try:
            if self.hold is not None:
                self.hold.hold()
            gated = self.offline.claimable(only) if self.offline is not None else None
            if gated is not None:  # hosts are cut off: only jobs for the others
                only = gated.ids
            job = self.ledger.claim_next_job(name, only=only) if only != frozenset() else None
        except Exception as exc:  # noqa: BLE001 - a locked/busy ledger must not kill the worker
            if not is_unavailable(exc):
                log_problem(log, f"{name}: could not claim a job; retrying shortly", exc)
            self.database.failed(describe_error(exc))
            self.stages.io_gate.release()
            self._sleep(2.0)
            return
        self.database.ok()
        if job is None:
            self.stages.io_gate.release()
            self._sleep(self._idle_wait(gated))
            return
        with self._current_lock:
            self._current[name] = job
        try:
            self._run(name, job)
        except Exception as exc:  # noqa: BLE001 - the ledger failed to record the outcome
            if is_unavailable(exc):
                self._hand_back(job, describe_error(exc))
            else:
                log_problem(log, f"{name}: {job.track.key}: the outcome could not be recorded", exc)
                self._sleep(2.0)  # the job stays 'running' and resumes at the next start
        finally:
            with self._current_lock:
                self._current.pop(name, None)
            self.on_finished()

    def scope_ids(self) -> frozenset[int] | None:
        if self.scope is None:
            return None
        with self._scope_lock:
            return frozenset(self.scope)

    def _idle_wait(self, gated: Claimable | None = None) -> float:
        due = self.ledger.next_due_at() if gated is None else gated.next_due
        if gated is not None:  # the jobs held back wait for the next probe (or a wake-up)
            probe = self.offline.next_probe_at() if self.offline is not None else None
            if probe is not None:  # a probe under way takes seconds: no busy loop meanwhile
                probe = max(probe, time.time() + 0.5)
                due = probe if due is None else min(due, probe)
        if due is None:
            return IDLE_WAIT_S
        return min(IDLE_WAIT_S, max(0.05, due - time.time()))

    def _sleep(self, seconds: float) -> None:
        with self._wake:
            # cancel is set before stop() wakes us, so checking it here under the lock
            # cannot miss a shutdown that another worker's wake-up already consumed.
            if not self._woken and not self.cancel.is_set():
                self._wake.wait(seconds)
            self._woken = False

    def run_claimed(self, name: str, job: ClaimedJob) -> None:
        """Run one claimed job and record its outcome: the same code path for the threads
        here and for ``spotsyncd worker`` (engine/scaleout/remote.py), which claims through
        Celery."""
        self._run(name, job)

    def _run(self, name: str, job: ClaimedJob) -> None:
        track = job.track
        log.info("%s: start %s (%s, attempt %d)", name, named(track), track.url, job.attempts)
        started = time.monotonic()
        try:
            result = self.pipeline.run(
                job, self.cancel, self._progress_reporter(job), stages=self.stages
            )
        except CancelledError:
            self.ledger.defer_job(job.job_id, track.id, 0.0, "cancelled by shutdown")
            log.info("%s: %s interrupted by shutdown; it resumes at next start", name, track.key)
        except DeferredError as exc:
            self.ledger.defer_job(job.job_id, track.id, exc.until, str(exc))
            log.info("%s: %s deferred: %s", name, track.key, exc)
        except (RateLimitedError, BotCheckError, CredentialsError) as exc:
            lane = "youtube" if isinstance(exc, BotCheckError) else exc.service or "generic"
            if isinstance(exc, CredentialsError):
                log.error("%s: %s — Spotify work is paused until then", name, exc)
            until = None
            if lane in ("youtube", "spotify"):
                until = self.circuits.record_failure(lane, exc)
            if until is not None:
                self.ledger.defer_job(job.job_id, track.id, until, f"{exc.error_class}: {exc}")
                log.warning("%s: %s paused: %s", name, track.key, exc)
            else:
                self._fail(name, job, exc)
        except ReviewNeededError as exc:
            self.ledger.hold_for_review(job.job_id, track.id, message=str(exc),
                                        checked=exc.checked, identity=exc.identity)  # fmt: skip
            # The user decides now: nothing downloaded is kept (a chosen candidate is fetched).
            shutil.rmtree(staging_dir_for(self.config, track.id), ignore_errors=True)
            log.warning("%s: %s needs review: %s", name, track.key, exc)
        except NetworkDownError as exc:
            # Cut off: the job waits for the network without spending an attempt.
            until = self.offline.wait_for_network(job, exc) if self.offline is not None else None
            if until is not None:
                log.info("%s: %s waits for the network: %s", name, track.key, exc)
            else:
                self._fail(name, job, exc)
        except JobError as exc:
            self._fail(name, job, exc)
        except SpotsyncError as exc:
            self._fail(name, job, exc)
        except Exception as exc:  # noqa: BLE001 - a bug in one job must not stop the daemon
            if is_unavailable(exc):
                raise  # the ledger went away: nothing can be recorded; the caller waits for it
            log.error(
                "%s: %s crashed (a bug, please report):\n%s",
                name,
                track.key,
                traceback.format_exc(),
            )
            self._record_failure(job, "internal", f"internal error: {exc!r}", retryable=True)
        else:
            self._finish(name, job, result, time.monotonic() - started)
            if self.offline is not None and result.kind != "already":
                self.offline.got_through(job)  # its host answered: the network works

    def _hand_back(self, job: ClaimedJob, reason: str) -> None:
        """The ledger went away mid-job: once it is back, the job goes back to pending (no
        attempt spent); a file it already filed is recognised when it runs again."""
        self.database.failed(reason)
        while not self.cancel.is_set():  # at shutdown it stays running: reset at next start
            try:
                self.ledger.defer_job(job.job_id, job.track.id, 0.0, "the database went away")
            except Exception as exc:
                if not is_unavailable(exc):
                    raise
                time.sleep(1.0)
                continue
            self.database.ok()
            return

    def _finish(self, name: str, job: ClaimedJob, result: JobResult, elapsed: float) -> None:
        track = job.track
        if result.kind == "expanded":
            if self.scope is not None:
                with self._scope_lock:
                    self.scope.update(result.children)
            log.info(
                "%s: %s listed %d items (%.1fs; %s)",
                name,
                track.key,
                result.items,
                elapsed,
                steps_text(result.timings),
            )
            for note in result.notes:
                log.warning("%s: %s", track.key, note)
            return
        if result.kind == "duplicate" and result.same_as is not None:
            album = result.meta.album or "another release"
            where = f"on '{album}' as {track.key}"
            self.ledger.finish_duplicate(
                job.job_id, track.id, of=result.same_as, meta=result.meta, where=where
            )
            log.info("%s: %s is the same recording as %s: not downloaded again", name,
                     track.key, result.same_as.key)  # fmt: skip
            return
        assert result.path is not None
        relative = stored_path(self.config, result.path)
        settings = audio_settings_for(self.config, track)
        message = (
            f"{relative} ({result.size_bytes / 1e6:.1f} MB, download {result.download_s:.1f}s,"
            f" process {result.process_s:.1f}s)"
        )
        if result.kind == "already":
            message = f"{relative} (already in the library from an interrupted run)"
        processed = result.processed
        self.ledger.finish_job(
            job.job_id,
            track.id,
            path=relative,
            size_bytes=result.size_bytes,
            duration_s=processed.duration_s if processed else track.duration_s,
            meta=result.meta,
            info=result.info,
            audio_settings=describe_settings(settings),
            loudness_lufs=processed.loudness_lufs if processed else None,
            download_s=result.download_s,
            process_s=result.process_s,
            message=message,
            identity=result.identity,
        )
        log.info(
            "%s: done %s → %s; steps: %s", name, named(track), message, steps_text(result.timings)
        )

    def _fail(self, name: str, job: ClaimedJob, exc: SpotsyncError) -> None:
        step = self._record_failure(job, exc.error_class, str(exc), retryable=exc.retryable)
        attempt = f"attempt {step.attempts} failed ({exc.error_class}: {exc})"
        what = f"{name}: {named(job.track)} {attempt}"
        if step.final:
            log.error("%s; %s", what, step.describe())
        else:
            log.warning("%s; %s", what, step.describe())

    def _record_failure(
        self, job: ClaimedJob, error_class: str, message: str, retryable: bool
    ) -> NextStep:
        download = self.config.download
        step = self.ledger.fail_job(
            job.job_id,
            job.track.id,
            error_class=error_class,
            message=message,
            retryable=retryable,
            max_retries=download.max_retries,
            backoff_s=download.backoff_seconds,
            slow_retries=download.slow_retries,
        )
        if step.final:  # failed for good: nothing in staging is worth keeping
            shutil.rmtree(staging_dir_for(self.config, job.track.id), ignore_errors=True)
        return step

    def _progress_reporter(self, job: ClaimedJob) -> Callable[[Progress], None]:
        last = [0.0]
        stage = [""]

        def report(progress: Progress) -> None:
            now = time.monotonic()
            # A new stage is shown at once; download ticks at most once a second.
            if progress.stage == stage[0] and now - last[0] < PROGRESS_EVERY_S:
                return
            last[0], stage[0] = now, progress.stage
            data = {
                "stage": progress.stage,
                "percent": progress.percent,
                "downloaded_bytes": progress.downloaded_bytes,
                "total_bytes": progress.total_bytes,
                "speed": progress.speed,
                "eta": progress.eta,
            }
            log.debug("%s: %s", job.track.key, data)
            try:
                self.ledger.set_progress(job.job_id, data)
            except Exception:  # noqa: BLE001 - progress is best-effort
                log.debug("progress not recorded", exc_info=True)

        return report


def named(track: TrackRow) -> str:
    """A track as log lines show it: its name once known, then its key (which ``why`` and
    ``retry`` take). A podcast episode's key is two digests; its name is what people know."""
    label = " – ".join(x for x in (track.artist, track.title) if x)
    return f"{label} ({track.key})" if label else track.key
