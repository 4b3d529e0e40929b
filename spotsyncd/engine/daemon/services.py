"""The parts a running daemon holds: the job runner, the inbox, the reporter, the scheduler, and
the web server it is handed (the web is a layer above the engine, so only its face is named
here). Their own module, so that the lifecycle and the reload both name them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from spotsyncd.core.config import Config
from spotsyncd.engine.jobs.runner import JobRunner
from spotsyncd.follows.service import FollowService
from spotsyncd.intake.inbox import InboxWatcher
from spotsyncd.intake.reporting import Reporter
from spotsyncd.ledger import Ledger


class WebHandle(Protocol):
    """The web API server the daemon runs (built by ``spotsyncd.api.server.start_web``)."""

    def status(self) -> dict[str, Any]: ...
    def stop(self, timeout_s: float = ...) -> None: ...


WebFactory = Callable[[Config, Ledger, Callable[[], None]], WebHandle]


@dataclass
class Services:
    """The running parts, for status and the watchdog."""

    workers: JobRunner  # the local WorkerPool, or the Dispatcher with queue.backend: celery
    inbox: InboxWatcher
    reporter: Reporter
    scheduler: FollowService | None = None
