"""``spotsyncd worker [--concurrency N]``: a Celery worker for ``queue.backend: celery``."""

from __future__ import annotations

import argparse
import sys

from spotsyncd.cli.command import Command
from spotsyncd.cli.common import config_from


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--concurrency",
        type=int,
        metavar="N",
        help="jobs at once in this process, 1 to 64 (default: download.workers)",
    )


def cmd_worker(args: argparse.Namespace) -> int:
    from spotsyncd.core.config import prepare_dirs
    from spotsyncd.core.errors import UserError
    from spotsyncd.engine.scaleout.remote import run_worker
    from spotsyncd.engine.wiring import build_adapters
    from spotsyncd.system.logsetup import setup_logging

    config = config_from(args)
    concurrency = args.concurrency or config.download.workers
    if not 1 <= concurrency <= 64:
        raise UserError(f"--concurrency must be between 1 and 64, got {concurrency}")
    # Several workers may share one machine (and state dir): they log to stderr, not the file.
    setup_logging(config, to_file=False)
    prepare_dirs(config)
    print(f"spotsyncd worker: files finished tracks into {config.library_dir}", file=sys.stderr)
    return run_worker(config, concurrency=concurrency, adapters_factory=build_adapters)


WORKER = Command(
    "worker",
    "run jobs for the daemon through Celery (queue.backend: celery)",
    _arguments,
    cmd_worker,
    exits={0: "stopped by SIGTERM or Ctrl-C"},
)
