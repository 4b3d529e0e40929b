"""The coordinator's side of ``queue.backend: celery``: it takes the local pool's place.

One thread, woken by producers (or every ``TICK_S``), keeps the workers fed: it claims due jobs
in the ledger for dispatch and sends each id through the broker, never more than the live
workers' threads can start soon (the ledger, not Redis, holds the backlog). Every
``HOUSEKEEPING_S`` it also

- hands the running jobs of workers that stopped heart-beating to the others;
- sends again jobs dispatched ``RESEND_S`` ago that no worker took while the broker's queue is
  empty (their message was lost: Redis flushed or restarted);
- heart-beats itself, and tells the reporter and scheduler when jobs finished elsewhere.

A database or broker outage is one log line when it starts and one when it ends.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable

from spotsyncd import __version__
from spotsyncd.core.config import Config
from spotsyncd.engine.jobs.pipeline import Pipeline
from spotsyncd.engine.resilience.circuits import Circuits
from spotsyncd.engine.resilience.guard import CircuitHold
from spotsyncd.engine.resilience.outage import Outage
from spotsyncd.engine.scaleout.celery_queue import Broker
from spotsyncd.ledger import Ledger, describe_error, is_unavailable

log = logging.getLogger(__name__)

TICK_S = 1.0
# While jobs run, look again sooner: a remote worker finishing a job commits in its own
# process and cannot wake this loop, so a freed thread would wait up to a whole tick for its
# next job (16 short tracks on 2 workers: 0.85x the local backend's throughput at 1 s).
BUSY_TICK_S = 0.2
HOUSEKEEPING_S = 1.0
RESEND_S = 10.0
SPARE_PER_WORKER = 1  # dispatched beyond the threads, so a freed thread never waits for us


class Dispatcher:
    """A ``JobRunner`` (engine/jobs/runner.py), as the local ``WorkerPool`` is: the daemon
    holds one or the other and treats them alike."""

    def __init__(
        self,
        config: Config,
        ledger: Ledger,
        pipeline: Pipeline,
        circuits: Circuits,
        *,
        on_finished: Callable[[], None] | None = None,
    ) -> None:
        self.config = config
        self.ledger = ledger
        self.pipeline = pipeline  # not run here; kept so that reloads find it
        self.circuits = circuits
        # Jobs of a service whose circuit is open (in the ledger, whoever opened it) stay
        # queued in the ledger until it closes: none is sent to a worker only to be deferred.
        self.hold = CircuitHold(circuits, ledger)
        self.on_finished = on_finished or (lambda: None)
        self.cancel = threading.Event()
        self.name = f"coordinator:{socket.gethostname()}:{os.getpid()}"
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._broker: Broker | None = None
        self._running = 0
        self._last_counts: dict[str, int] | None = None
        self._next_housekeeping = 0.0
        self.database = Outage("the ledger database", log, "check PostgreSQL and 'ledger.url'")
        self.broker_outage = Outage("the Redis broker", log, "check Redis and 'queue.broker_url'")

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        self._broker = Broker(self.config)
        self.ledger.register_worker(
            self.name,
            role="coordinator",
            host=socket.gethostname(),
            pid=os.getpid(),
            version=__version__,
            concurrency=0,
        )
        self._thread = threading.Thread(target=self._loop, name="spotsyncd-dispatch", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 8.0) -> None:
        self.cancel.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
        try:
            self.ledger.worker_stopped(self.name)
        except Exception as exc:  # noqa: BLE001 - shutting down anyway
            log.debug("coordinator stop not recorded: %s", exc)
        if self._broker is not None:
            self._broker.close()

    def wake(self) -> None:
        self._wake.set()

    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def busy(self) -> int:
        return self._running

    def run_until_idle(self, poll_s: float = 0.2) -> bool:
        """For one-shot runs: return once nothing runs anywhere and nothing is due soon (True:
        workers on other machines decide for themselves whether they are offline)."""
        while not self.cancel.is_set():
            try:
                running = self.ledger.running_count()
                due = self.ledger.next_due_at()
            except Exception as exc:
                if not is_unavailable(exc):
                    raise
                time.sleep(1.0)
                continue
            if not running and (due is None or due - time.time() > 120):
                return True
            self.wake()
            time.sleep(poll_s)
        return True

    # ------------------------------------------------------------------ the loop

    def _loop(self) -> None:
        while not self.cancel.is_set():
            try:
                self._step()
            except Exception as exc:  # noqa: BLE001 - the coordinator must outlive any outage
                if is_unavailable(exc):
                    self.database.failed(describe_error(exc))
                else:
                    log.exception("dispatching failed; trying again in %.0fs", TICK_S)
            else:
                self.database.ok()
            self._wake.wait(BUSY_TICK_S if self._running else TICK_S)
            self._wake.clear()

    def _step(self) -> None:
        if time.monotonic() >= self._next_housekeeping:
            self._housekeeping()
            self._next_housekeeping = time.monotonic() + HOUSEKEEPING_S
        if self.broker_outage.down and not self._broker_answers():
            return
        self.hold.hold()
        limit = self._capacity()
        self._running = self.ledger.running_count()
        while self._running < limit and not self.cancel.is_set():
            job = self.ledger.dispatch_next()
            if job is None:
                break
            self._running += 1
            log.info("dispatch %s (job %d, attempt %d)", job.track.key, job.job_id, job.attempts)
            if not self._send(job.job_id):
                break  # it stays dispatched in the ledger and is sent again later

    def _capacity(self) -> int:
        """How many jobs may be running or dispatched: the live workers' threads plus spares."""
        live = [
            w
            for w in self.ledger.live_workers(self.config.queue.worker_timeout_s)
            if w.state != "offline"  # a worker whose machine is offline takes no job
        ]
        if not live:
            return SPARE_PER_WORKER  # the first worker to start finds one job waiting
        return sum(w.concurrency + SPARE_PER_WORKER for w in live)

    def _send(self, job_id: int) -> bool:
        assert self._broker is not None
        try:
            self._broker.send(job_id)
        except Exception as exc:
            from spotsyncd.engine.scaleout.celery_queue import is_unavailable as broker_down

            if not broker_down(exc):
                raise
            self.broker_outage.failed(str(exc).splitlines()[0] if str(exc) else repr(exc))
            return False
        self.broker_outage.ok()
        return True

    def _broker_answers(self) -> bool:
        try:
            assert self._broker is not None
            self._broker.waiting()
        except Exception:  # noqa: BLE001 - still down: the outage was logged already
            return False
        self.broker_outage.ok()
        return True

    def _housekeeping(self) -> None:
        self.ledger.heartbeat(self.name)
        timeout = self.config.queue.worker_timeout_s
        for job_id, worker in self.ledger.release_orphans(timeout):
            log.warning(
                "worker %s stopped heart-beating for %ds; job %d goes to another worker",
                worker,
                timeout,
                job_id,
            )
        self._resend_lost()
        counts = self.ledger.counts()
        if self._last_counts is not None and counts != self._last_counts:
            self.on_finished()
        self._last_counts = counts

    def _resend_lost(self) -> None:
        assert self._broker is not None
        try:
            waiting = self._broker.waiting()
        except Exception as exc:  # noqa: BLE001 - the broker is down: nothing to resend to
            self.broker_outage.failed(str(exc).splitlines()[0] if str(exc) else repr(exc))
            return
        self.broker_outage.ok()
        if waiting:
            return  # the broker still holds messages: nothing was lost (or not yet seen)
        lost = self.ledger.dispatched_waiting(RESEND_S)
        if not lost:
            return
        log.warning(
            "%d dispatched jobs were never taken and the broker's queue is empty (Redis "
            "restarted or flushed?); sending them again",
            len(lost),
        )
        for job_id in lost:
            if not self._send(job_id):
                return
