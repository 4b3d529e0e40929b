"""The daemon's lifecycle: start order, signals, sd_notify, the single-instance lock.

Start: lock → ledger → reset crashed jobs → clean staging → workers → inbox (sweep + watch) →
scheduler → READY=1. Stop (SIGTERM/SIGINT): STOPPING=1, stop taking jobs, cancel in-flight
downloads (they resume next start), done within 10 s (shutdown.py). SIGHUP reloads the config
(reload.py).
The jobs run in a ``JobRunner``: the local worker pool, or the Celery dispatcher.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from spotsyncd import __version__
from spotsyncd.core.config import Config, prepare_dirs
from spotsyncd.core.errors import ConfigError, LinkError, SystemProblem
from spotsyncd.core.models import Link
from spotsyncd.core.protocols import Adapters
from spotsyncd.engine.daemon import housekeeping
from spotsyncd.engine.daemon.reload import apply_new_config, read_new_config
from spotsyncd.engine.daemon.services import Services, WebFactory, WebHandle
from spotsyncd.engine.daemon.shutdown import StopClock
from spotsyncd.engine.health.canaries import canaries_for
from spotsyncd.engine.health.source_watch import SourceWatch
from spotsyncd.engine.jobs.host_gate import HostGate
from spotsyncd.engine.jobs.pipeline import Pipeline
from spotsyncd.engine.jobs.runner import JobRunner
from spotsyncd.engine.jobs.worker import WorkerPool
from spotsyncd.engine.resilience.budgets import budgets_for
from spotsyncd.engine.resilience.circuits import Circuits
from spotsyncd.engine.resilience.guard import CircuitHold
from spotsyncd.engine.resilience.lookout import Lookout
from spotsyncd.engine.resilience.outage import install_outage_filter
from spotsyncd.engine.scaleout.dispatch import Dispatcher
from spotsyncd.engine.wiring import build_adapters, build_rescans
from spotsyncd.extractors.watch import ExtractorWatch
from spotsyncd.follows.service import FollowService, register_config_follows
from spotsyncd.intake.inbox import InboxWatcher
from spotsyncd.intake.reporting import Reporter
from spotsyncd.ledger import Ledger, is_unavailable
from spotsyncd.mediaservers.rescan import RescanDebouncer
from spotsyncd.system.lock import InstanceLock
from spotsyncd.system.sdnotify import Notifier

log = logging.getLogger(__package__)

HEARTBEAT_S = 15.0
EXIT_TEMPFAIL = 75  # sysexits' EX_TEMPFAIL: work left undone for now (offline); try again later


class Daemon:
    """``spotsyncd run``: one per state dir (the lock). It builds every part, starts them in
    order, pings the watchdog while they all live, and stops them on SIGTERM/SIGINT."""

    def __init__(
        self,
        config: Config,
        *,
        config_path: Path | None = None,
        adapters_factory: Callable[[Config], Adapters] = build_adapters,
        web_factory: WebFactory | None = None,
    ) -> None:
        self.config = config
        self.config_path = config_path
        self.adapters_factory = adapters_factory
        self.stop_event = threading.Event()
        self.reload_event = threading.Event()
        self._wake = threading.Event()
        self.notifier = Notifier()
        self.started_at = time.time()
        self.ledger: Ledger | None = None
        self.services: Services | None = None
        self.once = False
        self.follow_names: tuple[str, ...] = ()
        self.circuits: Circuits | None = None
        self.rescans: RescanDebouncer | None = None  # media servers told about new files
        self.web_factory = web_factory
        self.web: WebHandle | None = None
        self.lookout: Lookout | None = None  # offline watch, alerts, notifications
        self.extractors: ExtractorWatch | None = None  # extractors.auto_update
        self.source_watch: SourceWatch | None = None  # each source's daily canary

    # ------------------------------------------------------------------ entry point

    def run(self, *, once: bool = False, follow_names: Sequence[str] = ()) -> int:
        """Run until stopped; with ``once``, poll follows, process the queue, then return."""
        self.once = once
        self.follow_names = tuple(follow_names)
        prepare_dirs(self.config)
        lock = InstanceLock(self.config.state_dir)
        lock.acquire()
        threading.excepthook = housekeeping.thread_died
        finished = True
        try:
            self._install_signals()
            self._start()
            if once:
                finished = self._run_once()
            else:
                self._main_loop()
        finally:
            self._stop()
            lock.release()
        return 0 if finished else EXIT_TEMPFAIL

    def _start(self) -> None:
        config = self.config
        if config.renamed:
            log.warning("%s", config.renamed_warning())
        ledger = Ledger(config.ledger_target)
        self.ledger = ledger
        if config.queue.backend == "local":  # with celery, workers may still be running them
            reset = ledger.reset_running()
            if reset:
                log.warning("%d jobs were interrupted by a crash or kill; they resume now", reset)
            # Budget turns a killed daemon or 'get' on this machine held: free now, not at
            # the end of their lease (we hold the lock: none of them is alive).
            for who in ("daemon", "get"):
                ledger.drop_turns(f"{who}:{socket.gethostname()}:")
        housekeeping.clean_staging(config, ledger)
        self.rescans = build_rescans(config, ledger)
        self.rescans.start()
        # The service circuits and budgets live in the ledger, shared with every worker; the
        # offline circuit is this machine's (its file in the state dir).
        holder = f"daemon:{socket.gethostname()}:{os.getpid()}"
        self.circuits = Circuits(config.state_dir / "circuits.json", shared=ledger, holder=holder)
        budgets = budgets_for(lambda: self.config, ledger, holder)
        self.lookout = Lookout(
            lambda: self.config, ledger, self.circuits, on_online=self._network_back
        )
        self.lookout.start()
        if not self.once:
            self.extractors = ExtractorWatch(lambda: self.config, ledger)
            self.extractors.start()
        adapters = self.adapters_factory(config)
        pipeline = Pipeline(config, ledger, adapters, self.circuits, budgets)
        if not self.once:
            self.source_watch = SourceWatch(
                lambda: self.config,
                ledger,
                lambda: canaries_for(self.config, ledger, adapters, turn=budgets.turn),
                first_round_after_s=config.sources.first_check_after_s,
            )
            self.source_watch.start()
        reporter = Reporter(ledger, config.library_dir)
        workers = self._job_runner(pipeline, self.circuits, self.lookout)
        inbox = InboxWatcher(
            config,
            ledger,
            on_accepted=workers.wake,
            on_follow=self._follow,
            on_report=reporter.wake,
        )
        self.services = Services(workers=workers, inbox=inbox, reporter=reporter)
        # A database outage is one log line from whichever part meets it, not a traceback each.
        install_outage_filter(workers.database, is_unavailable)
        reporter.start()
        workers.start()
        self.services.scheduler = self._start_scheduler(adapters, workers)
        if not self.once:
            inbox.start()
            if self.web_factory is not None and config.web.enabled:
                self.web = self.web_factory(config, ledger, self._nudged)
        self._write_runtime()
        counts = ledger.counts()
        log.info(
            "spotsyncd %s ready: inbox %s, library %s, %d download + %d audio workers, %d pending",
            __version__,
            config.inbox_dir,
            config.library_dir,
            workers.stages.io_gate.slots if isinstance(workers, WorkerPool) else 0,
            workers.stages.cpu_gate.slots if isinstance(workers, WorkerPool) else 0,
            counts.get("pending", 0),
        )
        self.notifier.ready(self._status_text())
        threading.Thread(
            target=housekeeping.check_library,
            args=(config, ledger),
            name="spotsyncd-check",
            daemon=True,
        ).start()
        housekeeping.warm_up(adapters)  # after READY: it competes for the GIL with the start-up

    def _job_runner(self, pipeline: Pipeline, circuits: Circuits, lookout: Lookout) -> JobRunner:
        """The local worker pool, or with ``queue.backend: celery`` the dispatcher that hands
        the jobs to 'spotsyncd worker' processes."""
        assert self.ledger is not None
        if self.config.queue.backend == "celery":
            return Dispatcher(
                self.config, self.ledger, pipeline, circuits, on_finished=self._job_finished
            )
        return WorkerPool(
            self.config,
            self.ledger,
            pipeline,
            circuits,
            on_finished=self._job_finished,
            offline=HostGate(lookout.offline, self.ledger),
            hold=CircuitHold(circuits, self.ledger),
        )

    def _start_scheduler(self, adapters: Adapters, workers: JobRunner) -> FollowService:
        """Follows: registered from the config, polled on a schedule (see sync.py); their
        requests to a service pass its shared circuit and budget, as the jobs' do."""
        assert self.ledger is not None
        guard = workers.pipeline.guard.call
        on_change = self.rescans.library_changed if self.rescans else None
        service = FollowService(
            self.config,
            self.ledger,
            adapters,
            workers.wake,
            on_change=on_change,
            collections=self.ledger,
            guard=guard,
        )
        if not self.once:
            service.start()
        else:
            register_config_follows(self.config, self.ledger)
        return service

    def _network_back(self) -> None:
        if self.services is not None:
            self.services.workers.wake()

    def _job_finished(self) -> None:
        if self.rescans is not None:
            self.rescans.maybe_changed()
        if self.services is not None:
            self.services.reporter.wake()
            if self.services.scheduler is not None:
                self.services.scheduler.job_finished()

    def _main_loop(self) -> None:
        interval = self.notifier.watchdog_interval()
        tick = min(HEARTBEAT_S, interval / 2) if interval else HEARTBEAT_S
        while not self.stop_event.is_set():
            self._wake.wait(tick)
            self._wake.clear()
            if self.stop_event.is_set():
                break
            try:
                if self.reload_event.is_set():
                    self.reload_event.clear()
                    self._reload()
                self._heartbeat()
            except SystemProblem as exc:  # a locked ledger for a while must not stop us
                log.error("heartbeat: %s; trying again in %.0fs", exc, tick)

    def _run_once(self) -> bool:
        """One pass; False when queued work was left undone because the machine is offline."""
        assert self.services is not None
        self.services.inbox.drain()
        scheduler = self.services.scheduler
        if scheduler is not None:
            scheduler.poll_all_now(names=self.follow_names)
        finished = self.services.workers.run_until_idle()
        self.services.reporter.refresh()
        if scheduler is not None:
            scheduler.write_all_playlists()
        return finished

    def _heartbeat(self) -> None:
        if self.services is None:
            return
        parts = {
            "workers": self.services.workers.alive(),
            "inbox": self.once or self.services.inbox.alive(),
        }
        if self.services.scheduler is not None:
            parts["scheduler"] = self.services.scheduler.alive()
        if self.lookout is not None:
            parts["offline watch and notifications"] = self.lookout.alive()
        if all(parts.values()):
            self.notifier.watchdog()
        else:
            log.error(
                "a part of the daemon has stopped (%s); "
                "withholding the watchdog ping so the service manager restarts us",
                ", ".join(name for name, alive in parts.items() if not alive),
            )
        self.notifier.status(self._status_text())
        self._write_runtime()

    def _status_text(self) -> str:
        if self.ledger is None:
            return "starting"
        try:
            counts = self.ledger.counts()
        except Exception as exc:
            if not is_unavailable(exc):
                raise
            return "waiting for the ledger database"
        return (
            f"{counts['pending']} pending, {counts['waiting']} waiting, "
            f"{counts['running']} running, {counts['done']} done, {counts['failed']} failed"
        )

    # ------------------------------------------------------------------ signals, reload, stop

    def _install_signals(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        signal.signal(signal.SIGTERM, lambda *_: self.request_stop())
        signal.signal(signal.SIGINT, lambda *_: self.request_stop())
        if hasattr(signal, "SIGHUP"):
            signal.signal(signal.SIGHUP, lambda *_: self.request_reload())
        if hasattr(signal, "SIGUSR1"):
            signal.signal(signal.SIGUSR1, lambda *_: self._nudged())

    def _nudged(self) -> None:
        """The CLI (or the web API) queued work or changed follows: look at the ledger now."""
        if self.ledger is not None:
            self.ledger.changed()
            if self.circuits is not None and self.circuits.clear_credentials("spotify"):
                self.ledger.release_held("spotify")  # the jobs it held may try the new login
        if self.services is not None:
            self.services.workers.wake()
            self.services.reporter.wake()
            if self.services.scheduler is not None:
                self.services.scheduler.refresh_from_ledger()

    def request_reload(self) -> None:
        self.reload_event.set()
        self._wake.set()

    def request_stop(self) -> None:
        self.stop_event.set()
        self._wake.set()
        if self.services is not None:
            self.services.workers.cancel.set()

    def _reload(self) -> None:
        self.notifier.reloading("reloading configuration")
        try:
            change = read_new_config(self.config, self.config_path)
        except ConfigError as exc:
            log.error("reload refused, keeping the running configuration: %s", exc)
        else:
            self.config = change.config
            apply_new_config(change, self.services, self.rescans, self.adapters_factory)
        self.notifier.ready(self._status_text())

    def _stop(self) -> None:
        """Every part stops within what is left of one deadline (shutdown.py); the log's last
        line says how long it took."""
        clock = StopClock()
        self.notifier.stopping("stopping")
        log.info("stopping: no new jobs; interrupting downloads in flight")
        with clock.part("web"):
            if self.web is not None:
                self.web.stop(timeout_s=clock.left(3.0))
        if self.lookout is not None:
            self.lookout.stop_soon()
        with clock.part("watches"):
            for watch in (self.extractors, self.source_watch):
                if watch is not None:
                    watch.stop(timeout_s=clock.left(2.0))
        if self.services is not None:
            with clock.part("inbox"):
                self.services.inbox.stop(timeout_s=clock.left(3.0))
            with clock.part("follows"):
                if self.services.scheduler is not None:
                    self.services.scheduler.shutdown(timeout_s=clock.left(2.0))
            with clock.part("jobs"):
                self.services.workers.stop(timeout_s=clock.left(7.0))
            with clock.part("inbox reports"):
                self.services.reporter.stop(timeout_s=clock.left(3.0))
        with clock.part("media servers"):
            if self.rescans is not None:  # a batch that just ended is still announced
                self.rescans.stop(flush_timeout_s=10.0 if self.once else clock.left(2.0))
        with clock.part("notifications"):
            if self.lookout is not None:
                self.lookout.stop(clock.left)
        with clock.part("ledger"):
            if self.ledger is not None:
                self.ledger.close()
        housekeeping.remove_runtime(self.config)
        clock.report(log)

    # ------------------------------------------------------------------ follows from the inbox

    def _follow(self, link: Link) -> str:
        scheduler = self.services.scheduler if self.services else None
        if scheduler is None:
            raise LinkError("following is not available before the daemon has started")
        return scheduler.follow_link(link, origin="inbox")

    def _write_runtime(self) -> None:
        web = self.web.status() if self.web is not None else None
        housekeeping.write_runtime(self.config, self.started_at, web)
