"""``spotsyncd run``: the daemon in the foreground."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any, NoReturn

from spotsyncd.cli.command import (
    EXIT_LOCKED,
    EXIT_OK,
    EXIT_TEMPFAIL,
    LOCKED_EXIT,
    TEMPFAIL_EXIT,
    Command,
)
from spotsyncd.cli.common import config_from

if TYPE_CHECKING:
    from spotsyncd.core.config import Config


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--once",
        action="store_true",
        help="process the inbox, queue and follows once, then exit",
    )


def cmd_run(args: argparse.Namespace) -> int:
    from spotsyncd.engine.daemon import Daemon
    from spotsyncd.system.logsetup import setup_logging

    config = config_from(args)
    _check_before_greeting(config)
    setup_logging(config)
    print(f"spotsyncd: drop .txt files of links into {config.inbox_dir}", file=sys.stderr)
    print(f"spotsyncd: finished tracks go to {config.library_dir}", file=sys.stderr)
    daemon = Daemon(config, config_path=getattr(args, "config", None), web_factory=_start_web)
    code = daemon.run(once=args.once)
    say_if_left_undone(code)
    if args.own_process:
        end_process(code)
    return code


def say_if_left_undone(code: int) -> None:
    """The last line of a one-shot run that left work for later says so, and with what code."""
    if code == EXIT_TEMPFAIL:
        print(
            "spotsyncd: offline: queued work was left for the next run; exit code 75 "
            "(try again later)",
            file=sys.stderr,
        )


def end_process(code: int) -> NoReturn:
    """The daemon (or worker) has stopped: every part is closed, the ledger too, the lock
    released. End the process now rather than through Python's own exit, which would
    - wait for a follow poll still in flight (APScheduler's pool threads are joined at exit:
      a slow service held a SIGTERM'd daemon for as long as its poll took), and
    - tear down every module and object left (yt-dlp's ~1,800 extractors among them): seconds
      on a loaded 2-core machine, enough to overrun a 10 s ``docker stop`` and be killed.
    A poll cut off here wrote nothing half-done (each ledger write is one transaction); it
    runs again at the next start."""
    import contextlib
    import logging
    import os

    logging.shutdown()  # the log handlers' last lines reach their files
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed or broken pipe: no more to say
            stream.flush()
    os._exit(code)


def _check_before_greeting(config: Config) -> None:
    """Check first, then greet: what stops the daemon at once (a folder it cannot create or
    write, another spotsyncd on the state dir) fails here, before the greeting says where to drop
    files. The lock is only probed: the daemon takes it itself (a second ``flock`` from this
    process would conflict with its own); should another daemon win it in between, this one still
    stops with the same message and exit code."""
    from spotsyncd.core.config import prepare_dirs
    from spotsyncd.system.lock import InstanceLock

    prepare_dirs(config)
    probe = InstanceLock(config.state_dir)
    probe.acquire()  # AlreadyRunningError: "another spotsyncd (pid …) is already running …"
    probe.release()


def _start_web(config: Any, ledger: Any, nudge: Any) -> Any:
    """The web API is a layer above the engine: the daemon gets it handed in from here."""
    from spotsyncd.api.server import start_web

    return start_web(config, ledger, nudge)


RUN = Command(
    "run",
    "run the daemon in the foreground",
    _arguments,
    cmd_run,
    exits={
        EXIT_OK: "stopped by SIGTERM or Ctrl-C, or --once finished",
        EXIT_LOCKED: LOCKED_EXIT,
        EXIT_TEMPFAIL: f"with --once: {TEMPFAIL_EXIT}",
    },
)
