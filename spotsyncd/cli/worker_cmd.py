"""``spotsyncd worker [--concurrency N]``: a Celery worker for ``queue.backend: celery``;
``spotsyncd worker --check``: whether a worker on this host is alive (a container health check:
workers serve no web, so their heart-beat in the ledger is what says they work)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from spotsyncd.cli.command import Command
from spotsyncd.cli.common import config_from
from spotsyncd.cli.run import end_process

if TYPE_CHECKING:
    from spotsyncd.core.config import Config


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--concurrency",
        type=int,
        metavar="N",
        help="jobs at once in this process, 1 to 64 (default: download.workers)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit 0 if a worker on this host heart-beat within queue.worker_timeout "
        "(a container health check), 1 if not",
    )


def cmd_worker(args: argparse.Namespace) -> int:
    from spotsyncd.core.config import prepare_dirs
    from spotsyncd.core.errors import UserError
    from spotsyncd.engine.scaleout.remote import run_worker
    from spotsyncd.engine.wiring import build_adapters
    from spotsyncd.system.logsetup import setup_logging

    config = config_from(args)
    if args.check:
        return check_worker(config)
    concurrency = args.concurrency or config.download.workers
    if not 1 <= concurrency <= 64:
        raise UserError(f"--concurrency must be between 1 and 64, got {concurrency}")
    # Several workers may share one machine (and state dir): they log to stderr, not the file.
    setup_logging(config, to_file=False)
    prepare_dirs(config)
    print(f"spotsyncd worker: files finished tracks into {config.library_dir}", file=sys.stderr)
    code = run_worker(config, concurrency=concurrency, adapters_factory=build_adapters)
    if args.own_process:
        end_process(code)
    return code


def check_worker(config: Config) -> int:
    """0 if a running worker on this host heart-beat within ``queue.worker_timeout`` (the span
    after which the coordinator gives its jobs to others), 1 if none did."""
    import socket
    import time

    from spotsyncd.ledger import Ledger

    host = socket.gethostname()
    within = config.queue.worker_timeout_s
    ledger = Ledger(config.ledger_target)
    try:
        live = [w for w in ledger.live_workers(within) if w.host == host]
    finally:
        ledger.close()
    if not live:
        print(
            f"no 'spotsyncd worker' on {host} has heart-beaten into the ledger in the last "
            f"{within}s: see the worker's log ('docker compose logs worker'), and "
            "'spotsyncd doctor' for the ledger and the broker",
            file=sys.stderr,
        )
        return 1
    now = time.time()
    for row in live:
        print(f"ok: worker {row.name} heart-beat {now - row.seen_at:.0f}s ago")
    return 0


WORKER = Command(
    "worker",
    "run jobs for the daemon through Celery (queue.backend: celery), or check one is alive",
    _arguments,
    cmd_worker,
    exits={
        0: "stopped by SIGTERM or Ctrl-C; with --check: a worker here is alive",
        1: "with --check: no worker on this host heart-beat in time",
    },
)
