"""Celery on Redis for ``queue.backend: celery``: the only module that imports celery (and kombu).

Celery's own guidance, applied: a task carries a job id, never an object; tasks are ``acks_late``
(a worker killed mid-job leaves its message unacknowledged) and idempotent (the ledger's
conditional take turns a repeated delivery into a no-op); every task has a time limit and the
broker's visibility timeout is longer than the longest job; no results are stored: the ledger,
not the broker, says what is done. Messages go to the broker's default exchange with the queue's
name as routing key, so a flushed or restarted Redis (which forgets kombu's exchange bindings)
still routes them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from spotsyncd.core.config import Config

log = logging.getLogger(__name__)

TASK = "spotsyncd.run_job"
QUEUE = "spotsyncd.jobs"
VISIBILITY_MARGIN_S = 600


def make_app(config: Config) -> Any:
    from celery import Celery

    limit = config.queue.job_time_limit_s
    app = Celery("spotsyncd", broker=config.queue.broker_url, set_as_current=False)
    app.conf.update(
        task_default_queue=QUEUE,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        # A worker holds a few messages ahead: with 1 it would only ask Redis again after the
        # next poll (up to a second later). Dispatch never sends more than the workers' threads
        # plus one spare each, so nothing piles up in one worker.
        worker_prefetch_multiplier=4,
        task_soft_time_limit=limit,
        task_time_limit=limit + 60,
        broker_transport_options={
            "visibility_timeout": limit + VISIBILITY_MARGIN_S,
            "polling_interval": 1.0,
        },
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
        worker_send_task_events=False,
        worker_enable_remote_control=False,
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,  # a restarting Redis is waited for, not fatal
        broker_connection_timeout=5,
    )
    return app


class Broker:
    """The coordinator's end of the queue: send a job id, count what waits."""

    def __init__(self, config: Config) -> None:
        self.app = make_app(config)
        self.where = _redacted(config.queue.broker_url)

    def send(self, job_id: int) -> None:
        self.app.send_task(TASK, args=[job_id], exchange="", routing_key=QUEUE, retry=False)

    def waiting(self) -> int:
        """Messages in the queue that no worker has received yet."""
        with self.app.connection_for_read() as conn:
            return int(conn.default_channel.client.llen(QUEUE))

    def close(self) -> None:
        self.app.close()


def is_unavailable(exc: BaseException) -> bool:
    """The broker cannot be reached right now (refused, reset, timed out)."""
    from kombu.exceptions import OperationalError

    if isinstance(exc, OperationalError | ConnectionError | TimeoutError):
        return True
    return type(exc).__module__.startswith("redis") and "Connection" in type(exc).__name__


def broker_version(config: Config) -> str:
    """The Redis server's version (raises when it cannot be reached)."""
    app = make_app(config)
    try:
        with app.connection_for_read() as conn:
            conn.ensure_connection(max_retries=1, timeout=3)
            info = conn.default_channel.client.info("server")
            return f"Redis {info.get('redis_version', '?')}"
    finally:
        app.close()


def run_worker(
    config: Config,
    handle: Callable[[int], str],
    *,
    name: str,
    concurrency: int,
    on_shutdown: Callable[[], None],
) -> int:
    """Run a Celery worker in this process (Celery's worker API) until it is told to stop.
    ``handle(job_id)`` runs each task in one of ``concurrency`` threads."""
    from celery import signals

    app = make_app(config)

    def run_job(job_id: int) -> str:
        return handle(int(job_id))

    app.task(name=TASK, acks_late=True, ignore_result=True)(run_job)
    # spotsyncd has set up logging already: Celery must not replace it.
    signals.setup_logging.connect(_keep_logging, weak=False)
    signals.worker_shutting_down.connect(lambda **_kw: on_shutdown(), weak=False)
    worker = app.Worker(
        hostname=f"spotsyncd@{name}",
        pool="threads",
        concurrency=concurrency,
        queues=[QUEUE],
        quiet=True,
        without_gossip=True,
        without_mingle=True,
        without_heartbeat=True,
        loglevel="WARNING",
    )
    log.info("worker %s: %d threads, broker %s", name, concurrency, _redacted(app.conf.broker_url))
    worker.start()
    return int(worker.exitcode or 0)


def _keep_logging(**_kw: Any) -> None:
    """Connected to ``setup_logging``: its mere presence keeps Celery's hands off logging."""


def _redacted(url: str) -> str:
    from spotsyncd.core.config_values import redact_password

    return redact_password(url)
