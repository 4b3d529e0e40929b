"""``spotsyncd worker``: a process that runs the jobs the coordinator dispatches through Celery.

Each task names a job id. The worker takes the job in the ledger (a conditional update: a task
delivered twice runs once), runs it with the very code the local pool runs
(``WorkerPool.run_claimed`` → ``Pipeline.run``) and records the outcome in the ledger, where
``status``, ``why`` and reports read it. It heart-beats into the ledger's ``workers`` table; if
it dies, the coordinator hands its jobs to another worker. Staging stays on this machine's
``state_dir``; finished files go to the shared ``library_dir``.

Shared with every other process through the ledger: the service circuits (a 429 or bot check
met here stops them all) and the per-source budgets. Its own: the offline watch. A worker whose
machine has no network pauses itself (it takes no job; the ones it is sent go back to the
queue for the others) and says "offline" in its heartbeat, which ``status`` and ``doctor`` show
and the coordinator reads (it counts no capacity for it).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from spotsyncd import __version__
from spotsyncd.core.config import Config
from spotsyncd.core.errors import UserError
from spotsyncd.core.protocols import Adapters
from spotsyncd.engine.jobs.host_gate import HostGate
from spotsyncd.engine.jobs.pipeline import Pipeline
from spotsyncd.engine.jobs.worker import WorkerPool
from spotsyncd.engine.resilience.budgets import budgets_for
from spotsyncd.engine.resilience.circuits import Circuit, Circuits
from spotsyncd.engine.resilience.offline import OfflineWatch
from spotsyncd.engine.resilience.outage import Outage, install_outage_filter
from spotsyncd.ledger import ClaimedJob, Ledger, describe_error, is_unavailable

log = logging.getLogger(__name__)

OFFLINE_PAUSE_S = 2.0


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class WorkerLedger(Protocol):
    """What a remote worker does in the ledger besides the pool's jobs: take a dispatched job
    or give it back, and heart-beat (``ledger.Workers`` has it, hence ``ledger.Ledger``)."""

    def take_job(self, job_id: int, worker: str) -> ClaimedJob | None: ...
    def give_back(self, job_id: int, worker: str) -> bool: ...
    def register_worker(
        self, name: str, *, role: str, host: str, pid: int, version: str, concurrency: int
    ) -> None: ...
    def heartbeat(
        self, name: str, *, state: str | None = None, reason: str | None = None
    ) -> None: ...
    def worker_stopped(self, name: str) -> None: ...


if TYPE_CHECKING:  # mypy proves the ledger's workers repository is a WorkerLedger
    from spotsyncd.ledger import Workers

    _WORKERS: type[WorkerLedger] = Workers


class RemoteWorker:
    def __init__(
        self,
        config: Config,
        ledger: WorkerLedger,
        pool: WorkerPool,
        name: str,
        *,
        offline: Callable[[], Circuit | None] = lambda: None,
    ) -> None:
        """``offline()``: this machine's offline circuit while it is open (its offline watch)."""
        self.config = config
        self.offline = offline
        self.ledger = ledger
        self.pool = pool
        self.name = name
        self.stopping = threading.Event()
        self.database = Outage(
            "the ledger database", log, "check PostgreSQL and 'ledger.url' (spotsyncd doctor)"
        )
        self._beat: threading.Thread | None = None

    @property
    def heartbeat_s(self) -> float:
        return max(1.0, self.config.queue.worker_timeout_s / 5)

    # ------------------------------------------------------------------ one task

    def handle(self, job_id: int) -> str:
        """Run the job a task names; what happened, for Celery's log."""
        if self.offline() is not None:
            # Not taken: it stays dispatched, and the coordinator sends it again for a worker
            # whose network is up. A short pause keeps this one from draining the queue.
            self.stopping.wait(OFFLINE_PAUSE_S)
            return "skipped: this machine is offline"
        try:
            job = self.ledger.take_job(job_id, self.name)
        except Exception as exc:
            if not is_unavailable(exc):
                raise
            self.database.failed(describe_error(exc))
            return "database unavailable: the coordinator sends it again"
        self.database.ok()
        if job is None:
            return "skipped: already taken or no longer dispatched"
        thread = threading.current_thread().name.rsplit("-", 1)[-1]
        try:
            self.pool.run_claimed(f"{self.name}/{thread}", job)
        except Exception as exc:
            if not is_unavailable(exc):
                raise
            # The outcome could not be written: hand the job back once the database is back,
            # and another run files it (a file already in the library is recognised).
            self.database.failed(describe_error(exc))
            self._give_back(job)
            return "given back: the database went away while it ran"
        return "ran"

    def _give_back(self, job: ClaimedJob) -> None:
        while not self.stopping.is_set():
            try:
                self.ledger.give_back(job.job_id, self.name)
            except Exception as exc:
                if not is_unavailable(exc):
                    raise
                self.stopping.wait(1.0)
                continue
            self.database.ok()
            return

    # ------------------------------------------------------------------ heartbeats

    def start(self, concurrency: int) -> None:
        self.ledger.register_worker(
            self.name,
            role="worker",
            host=socket.gethostname(),
            pid=os.getpid(),
            version=__version__,
            concurrency=concurrency,
        )
        self._beat = threading.Thread(target=self._heartbeats, name="spotsyncd-heartbeat")
        self._beat.daemon = True
        self._beat.start()

    def state(self) -> tuple[str, str | None]:
        """What the heartbeat says of this worker: ("ok", None) or ("offline", why)."""
        circuit = self.offline()
        return ("offline", circuit.reason) if circuit is not None else ("ok", None)

    def _heartbeats(self) -> None:
        last: tuple[str, str | None] = ("ok", None)
        while not self.stopping.wait(self.heartbeat_s):
            state, reason = self.state()
            if (state, reason) != last and state == "offline":
                log.warning("worker %s is offline (%s): it takes no job until back", self.name,
                            reason)  # fmt: skip
            elif (state, reason) != last:
                log.info("worker %s is online again: it takes jobs", self.name)
            last = (state, reason)
            try:
                self.ledger.heartbeat(self.name, state=state, reason=reason)
            except Exception as exc:  # noqa: BLE001 - a heartbeat must never kill the worker
                if is_unavailable(exc):
                    self.database.failed(describe_error(exc))
                else:
                    log.warning("heartbeat not recorded: %s", exc)
                continue
            self.database.ok()

    def shutting_down(self) -> None:
        """Celery begins a warm shutdown: interrupt running jobs (they go back to pending)."""
        self.stopping.set()
        self.pool.cancel.set()

    def stop(self) -> None:
        self.stopping.set()
        if self._beat is not None:
            self._beat.join(5)
        try:
            self.ledger.worker_stopped(self.name)
        except Exception as exc:  # noqa: BLE001 - the coordinator notices the silence anyway
            log.warning("could not record that worker %s stopped: %s", self.name, exc)


def run_worker(
    config: Config, *, concurrency: int, adapters_factory: Callable[[Config], Adapters]
) -> int:
    """``spotsyncd worker``: build what a job needs, then serve tasks until SIGTERM/SIGINT."""
    from spotsyncd.engine.scaleout import celery_queue

    if config.queue.backend != "celery":
        raise UserError(
            "queue.backend is 'local': jobs run inside 'spotsyncd run'. Set queue.backend: celery "
            "(and queue.broker_url, ledger.url) to run separate workers"
        )
    ledger = Ledger(config.ledger_target)
    name = worker_name()
    # Circuits and budgets are shared through the ledger; offline is this machine's own.
    circuits = Circuits(config.state_dir / "circuits.json", shared=ledger, holder=name)
    budgets = budgets_for(lambda: config, ledger, name)
    watch = OfflineWatch(
        circuits,
        lambda: config.check_urls(),
        probe_every_s=lambda: float(config.network.probe_every),
    )
    pipeline = Pipeline(config, ledger, adapters_factory(config), circuits, budgets)
    # its threads are Celery's here
    pool = WorkerPool(config, ledger, pipeline, circuits, offline=HostGate(watch, ledger))
    remote = RemoteWorker(config, ledger, pool, name, offline=circuits.offline_circuit)
    install_outage_filter(remote.database, is_unavailable)
    watch.start()
    remote.start(concurrency)
    log.info("spotsyncd %s worker %s ready: ledger %s", __version__, name, ledger.where)
    started = time.monotonic()
    try:
        return celery_queue.run_worker(
            config,
            remote.handle,
            name=name,
            concurrency=concurrency,
            on_shutdown=remote.shutting_down,
        )
    finally:
        watch.stop()
        remote.stop()
        circuits.close_offline()  # "offline" means nothing once this worker is gone
        ledger.close()
        log.info("worker %s stopped after %.0fs", name, time.monotonic() - started)
