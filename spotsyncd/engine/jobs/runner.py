"""``JobRunner``: what the daemon needs from whatever runs its jobs.

With ``queue.backend: local`` the jobs run in this process's ``WorkerPool`` (worker.py); with
``celery`` the ``Dispatcher`` (engine/scaleout/dispatch.py) hands them to ``spotsyncd worker``
processes. The daemon holds one or the other and treats them alike: producers wake it, the
heartbeat asks whether it is alive, a one-shot run waits until it is idle, a reload hands it the
new config (and the pipeline new adapters), a stop cancels it. Saying so in a Protocol lets
``mypy --strict`` prove that both fit, and that the daemon asks nothing more of either.
"""

from __future__ import annotations

import threading
from typing import Protocol

from spotsyncd.core.config import Config
from spotsyncd.engine.jobs.pipeline import Pipeline
from spotsyncd.engine.resilience.outage import Outage


class JobRunner(Protocol):
    config: Config  # replaced on reload
    pipeline: Pipeline  # its config and adapters are replaced on reload
    cancel: threading.Event  # set on stop: running jobs are interrupted and resume next start
    database: Outage  # the ledger database's outage, logged once by whichever part meets it

    def start(self) -> None:
        """Start taking jobs (threads here, or the dispatch loop)."""

    def stop(self, timeout_s: float = ...) -> None:
        """Stop within ``timeout_s``; jobs still running resume at the next start."""

    def wake(self) -> None:
        """Look at the ledger now: a producer queued work or the network is back."""

    def alive(self) -> bool:
        """Every thread still runs (the watchdog ping depends on it)."""

    def run_until_idle(self, poll_s: float = ...) -> bool:
        """For one-shot runs: return once nothing runs and nothing is due soon; False when work
        is left undone because the network is down."""
