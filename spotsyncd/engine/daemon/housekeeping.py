"""The daemon's chores around its parts: what a crash left in staging, the runtime file that
``status`` and ``web`` read, the library check at start, the warm-up, and the last boundary for
its threads. Each is a plain function of what it needs, so the lifecycle reads as the order of
things rather than their details.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
import time
from typing import Any

from spotsyncd import __version__
from spotsyncd.core.config import Config
from spotsyncd.core.errors import log_problem
from spotsyncd.core.models import JobState
from spotsyncd.core.protocols import Adapters
from spotsyncd.intake.reporting import write_atomic
from spotsyncd.ledger import Ledger

log = logging.getLogger(__package__)

RUNTIME_FILE = "runtime.json"


def clean_staging(config: Config, ledger: Ledger) -> None:
    """Remove staging folders of jobs that are finished or unknown; keep the ones whose
    downloads can resume."""
    staging = config.staging_dir
    keep = {
        f"track-{t.id}"
        # running: a worker's, with celery
        for state in (JobState.PENDING, JobState.WAITING, JobState.RUNNING)
        for t in ledger.tracks(state=state)
    }
    for entry in staging.iterdir() if staging.is_dir() else []:
        if entry.name not in keep:
            shutil.rmtree(entry, ignore_errors=True) if entry.is_dir() else entry.unlink()


def check_library(config: Config, ledger: Ledger) -> None:
    """Report ledger rows whose file vanished (``doctor --repair`` fetches them again: a
    file the user deleted on purpose must not come back on its own)."""
    try:
        from spotsyncd.ledger.consistency import repair_missing_files

        repair_missing_files(ledger, config.library_dir, repair=False)
    except Exception as exc:  # noqa: BLE001 - a check must never take the daemon down
        log_problem(log, "library consistency check failed", exc)


def write_runtime(config: Config, started_at: float, web: dict[str, Any] | None) -> None:
    """What ``status`` and ``web`` (other processes) learn of the running daemon."""
    data = {
        "pid": os.getpid(),
        "version": __version__,
        "started_at": started_at,
        "updated_at": time.time(),
        "workers": config.download.workers,
        "inbox_dir": str(config.inbox_dir),
        "library_dir": str(config.library_dir),
        "web": web,
    }
    try:
        write_atomic(config.state_dir / RUNTIME_FILE, json.dumps(data))
    except OSError as exc:
        log.debug("runtime file not written: %s", exc)


def remove_runtime(config: Config) -> None:
    (config.state_dir / RUNTIME_FILE).unlink(missing_ok=True)


def warm_up(adapters: Adapters) -> None:
    """Slow first steps (yt-dlp's URL patterns, the JS runtime) in the background, at start-up
    rather than in the first job."""
    warm = getattr(adapters.downloader, "warm_up", None)
    if not callable(warm):
        return

    def run() -> None:
        started = time.monotonic()
        try:
            warm()
        except Exception:  # noqa: BLE001 - warming is an optimisation; the jobs still work
            log.debug("warm-up failed", exc_info=True)
        else:
            log.debug("warmed up in %.1f s", time.monotonic() - started)

    threading.Thread(target=run, name="spotsyncd-warm-up", daemon=True).start()


def thread_died(args: threading.ExceptHookArgs) -> None:
    """The daemon's last boundary for its threads: one line in the log (a traceback only for
    a bug); the watchdog notices the missing thread and the service manager restarts us."""
    if args.exc_value is None or isinstance(args.exc_value, SystemExit):
        return
    name = args.thread.name if args.thread is not None else "a thread"
    log_problem(log, f"{name} stopped", args.exc_value)
