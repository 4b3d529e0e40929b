"""The daemon's lifecycle: start order, signals, sd_notify, the single-instance lock.

Start: lock → ledger → reset crashed jobs → clean staging → workers → inbox (sweep + watch) →
scheduler → READY=1. Stop (SIGTERM/SIGINT): STOPPING=1, stop taking jobs, cancel in-flight
downloads (they resume next start), done within 10 s. SIGHUP reloads the config.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from spotsyncd import __version__
from spotsyncd.core.config import Config, load_config, prepare_dirs
from spotsyncd.core.errors import ConfigError, LinkError, SystemProblem, log_problem
from spotsyncd.core.models import JobState, Link
from spotsyncd.core.protocols import Adapters
from spotsyncd.engine.jobs.pipeline import Pipeline
from spotsyncd.engine.jobs.worker import WorkerPool
from spotsyncd.engine.resilience.circuits import Circuits
from spotsyncd.engine.resilience.lookout import Lookout
from spotsyncd.engine.resilience.outage import install_outage_filter
from spotsyncd.engine.scaleout.dispatch import Dispatcher
from spotsyncd.engine.wiring import build_adapters, build_rescans
from spotsyncd.follows.service import FollowService, register_config_follows
from spotsyncd.intake.inbox import InboxWatcher
from spotsyncd.intake.reporting import Reporter, write_atomic
from spotsyncd.ledger import Ledger, is_unavailable
from spotsyncd.mediaservers.rescan import RescanDebouncer
from spotsyncd.system.lock import InstanceLock
from spotsyncd.system.sdnotify import Notifier

log = logging.getLogger(__name__)

HEARTBEAT_S = 15.0


class WebHandle(Protocol):
    """The web API server the daemon runs (built by ``spotsyncd.api.server.start_web``)."""

    def status(self) -> dict[str, Any]: ...
    def stop(self) -> None: ...


WebFactory = Callable[[Config, Ledger, Callable[[], None]], WebHandle]


@dataclass
class Services:
    """The running parts, for status and the watchdog."""

    workers: WorkerPool | Dispatcher
    inbox: InboxWatcher
    reporter: Reporter
    scheduler: FollowService | None = None


class Daemon:
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

    # ------------------------------------------------------------------ entry point

    def run(self, *, once: bool = False, follow_names: Sequence[str] = ()) -> int:
        """Run until stopped; with ``once``, poll follows, process the queue, then return."""
        self.once = once
        self.follow_names = tuple(follow_names)
        prepare_dirs(self.config)
        lock = InstanceLock(self.config.state_dir)
        lock.acquire()
        threading.excepthook = _thread_died
        try:
            self._install_signals()
            self._start()
            if once:
                self._run_once()
            else:
                self._main_loop()
        finally:
            self._stop()
            lock.release()
        return 0

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
        self._clean_staging(ledger)
        self.rescans = build_rescans(config, ledger)
        self.rescans.start()
        self.circuits = Circuits(
            config.state_dir / "circuits.json", on_change=self._circuit_changed
        )
        self.lookout = Lookout(
            lambda: self.config, ledger, self.circuits, on_online=self._network_back
        )
        self.lookout.start()
        adapters = self.adapters_factory(config)
        pipeline = Pipeline(config, ledger, adapters, self.circuits)
        reporter = Reporter(ledger, config.library_dir)
        workers: WorkerPool | Dispatcher
        if config.queue.backend == "celery":  # jobs run in 'spotsyncd worker' processes
            workers = Dispatcher(
                config, ledger, pipeline, self.circuits, on_finished=self._job_finished
            )
        else:
            workers = WorkerPool(
                config,
                ledger,
                pipeline,
                self.circuits,
                on_finished=self._job_finished,
                offline=self.lookout.offline,
            )
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
        threading.Thread(target=self._check_library, name="spotsyncd-check", daemon=True).start()
        _warm_up(adapters)  # after READY: it competes for the GIL with the start-up

    def _start_scheduler(
        self, adapters: Adapters, workers: WorkerPool | Dispatcher
    ) -> FollowService:
        """Follows: registered from the config, polled on a schedule (see sync.py)."""
        assert self.ledger is not None
        on_change = self.rescans.library_changed if self.rescans else None
        service = FollowService(
            self.config, self.ledger, adapters, workers.wake, on_change=on_change
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

    def _run_once(self) -> None:
        assert self.services is not None
        self.services.inbox.drain()
        scheduler = self.services.scheduler
        if scheduler is not None:
            scheduler.poll_all_now(names=self.follow_names)
        self.services.workers.run_until_idle()
        self.services.reporter.refresh()
        if scheduler is not None:
            scheduler.write_all_playlists()

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

    def _circuit_changed(self, lane: str, is_open: bool, reason: str) -> None:
        if self.ledger is not None:
            kind = "circuit_open" if is_open else "circuit_closed"
            level = "warning" if is_open else "info"
            self.ledger.event(level, kind, f"{lane}: {reason}")

    def _nudged(self) -> None:
        """The CLI (or the web API) queued work or changed follows: look at the ledger now."""
        if self.ledger is not None:
            self.ledger.changed()
        if self.circuits is not None:
            self.circuits.clear_credentials("spotify")
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
            new = load_config(self.config_path)
            prepare_dirs(new)
        except ConfigError as exc:
            log.error("reload refused, keeping the running configuration: %s", exc)
            self.notifier.ready(self._status_text())
            return
        changed = [
            k
            for k in ("audio", "download", "library", "matching", "follows", "log_level")
            if getattr(new, k) != getattr(self.config, k)
        ]
        fixed = [
            k
            for k in ("library_dir", "inbox_dir", "state_dir")
            if getattr(new, k) != getattr(self.config, k)
        ]
        if fixed:
            log.warning(
                "reload: %s changed; restart spotsyncd for that to take effect", ", ".join(fixed)
            )
            new = _keep_fixed(new, self.config)
        rebuild = any(getattr(new, k) != getattr(self.config, k)
                      for k in ("download", "spotify", "matching", "youtube"))  # fmt: skip
        if new.download.workers != self.config.download.workers:
            log.warning("reload: download.workers takes effect at the next restart")
        self.config = new
        if self.services is not None:
            self.services.workers.config = new
            self.services.workers.pipeline.config = new
            if rebuild:  # timeouts, cookies, ffmpeg, Spotify credentials, search settings
                self.services.workers.pipeline.adapters = self.adapters_factory(new)
            self.services.inbox.config = new
            if self.services.scheduler is not None:
                adapters = self.services.workers.pipeline.adapters if rebuild else None
                self.services.scheduler.reload(new, adapters)
        if self.rescans is not None:
            from spotsyncd.mediaservers.servers import build_clients
            from spotsyncd.system.logsetup import add_secrets

            add_secrets(new.secrets)  # credentials of servers this reload added

            self.rescans.clients = build_clients(new)
            self.rescans.quiet_s = new.media_servers_debounce_s
            self.rescans.start()  # servers added by this reload
        logging.getLogger().setLevel(logging.DEBUG if new.log_level == "debug" else logging.INFO)
        log.info("configuration reloaded (%s)", ", ".join(changed) or "no changes")
        self.notifier.ready(self._status_text())

    def _stop(self) -> None:
        self.notifier.stopping("stopping")
        log.info("stopping: no new jobs; interrupting downloads in flight")
        if self.web is not None:
            self.web.stop()
        if self.lookout is not None:
            self.lookout.stop_soon()
        if self.services is not None:
            self.services.inbox.stop()
            if self.services.scheduler is not None:
                self.services.scheduler.shutdown()
            self.services.workers.stop(timeout_s=7.0)
            self.services.reporter.stop()
        if self.rescans is not None:  # a batch that just ended is still announced
            self.rescans.stop(flush_timeout_s=10.0 if self.once else 2.0)
        if self.lookout is not None:
            self.lookout.stop()
        if self.ledger is not None:
            self.ledger.close()
        (self.config.state_dir / "runtime.json").unlink(missing_ok=True)
        log.info("stopped")

    # ------------------------------------------------------------------ follows from the inbox

    def _follow(self, link: Link) -> str:
        scheduler = self.services.scheduler if self.services else None
        if scheduler is None:
            raise LinkError("following is not available before the daemon has started")
        return scheduler.follow_link(link, origin="inbox")

    # ------------------------------------------------------------------ housekeeping

    def _clean_staging(self, ledger: Ledger) -> None:
        """Remove staging folders of jobs that are finished or unknown; keep the ones whose
        downloads can resume."""
        staging = self.config.staging_dir
        keep = {
            f"track-{t.id}"
            # running: a worker's, with celery
            for state in (JobState.PENDING, JobState.WAITING, JobState.RUNNING)
            for t in ledger.tracks(state=state)
        }
        for entry in staging.iterdir() if staging.is_dir() else []:
            if entry.name not in keep:
                shutil.rmtree(entry, ignore_errors=True) if entry.is_dir() else entry.unlink()

    def _check_library(self) -> None:
        """Report ledger rows whose file vanished (``doctor --repair`` fetches them again: a
        file the user deleted on purpose must not come back on its own)."""
        if self.ledger is None:
            return
        try:
            from spotsyncd.ledger.consistency import repair_missing_files

            repair_missing_files(self.ledger, self.config.library_dir, repair=False)
        except Exception as exc:  # noqa: BLE001 - a check must never take the daemon down
            log_problem(log, "library consistency check failed", exc)

    def _write_runtime(self) -> None:
        data = {
            "pid": os.getpid(),
            "version": __version__,
            "started_at": self.started_at,
            "updated_at": time.time(),
            "workers": self.config.download.workers,
            "inbox_dir": str(self.config.inbox_dir),
            "library_dir": str(self.config.library_dir),
            "web": self.web.status() if self.web is not None else None,
        }
        try:
            write_atomic(self.config.state_dir / "runtime.json", json.dumps(data))
        except OSError as exc:
            log.debug("runtime file not written: %s", exc)


def _warm_up(adapters: Adapters) -> None:
    """Slow first steps (yt-dlp's URL patterns, the JS runtime) in the background, at start-up
    rather than in the first job."""
    warm_up = getattr(adapters.downloader, "warm_up", None)
    if not callable(warm_up):
        return

    def run() -> None:
        started = time.monotonic()
        try:
            warm_up()
        except Exception:  # noqa: BLE001 - warming is an optimisation; the jobs still work
            log.debug("warm-up failed", exc_info=True)
        else:
            log.debug("warmed up in %.1f s", time.monotonic() - started)

    threading.Thread(target=run, name="spotsyncd-warm-up", daemon=True).start()


def _thread_died(args: threading.ExceptHookArgs) -> None:
    """The daemon's last boundary for its threads: one line in the log (a traceback only for
    a bug); the watchdog notices the missing thread and the service manager restarts us."""
    if args.exc_value is None or isinstance(args.exc_value, SystemExit):
        return
    name = args.thread.name if args.thread is not None else "a thread"
    log_problem(log, f"{name} stopped", args.exc_value)


def _keep_fixed(new: Config, old: Config) -> Config:
    fixed = {"library_dir": old.library_dir, "inbox_dir": old.inbox_dir, "state_dir": old.state_dir}
    return new.model_copy(update=fixed)
