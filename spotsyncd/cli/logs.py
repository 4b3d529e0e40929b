"""``spotsyncd logs [-f] [--since 1h] [--level warning]``."""

from __future__ import annotations

import argparse
import os
import sys

from spotsyncd.cli.command import Command
from spotsyncd.cli.common import LOG_LEVELS, config_from


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-f", "--follow", action="store_true", help="keep printing new lines until Ctrl-C"
    )
    parser.add_argument("--since", help="only lines from this recent period, e.g. 1h, 30m, 2d")
    parser.add_argument(
        "--level",
        choices=LOG_LEVELS,
        help="only lines of this level and above",
    )
    parser.add_argument("--file", action="store_true", help="read the log file even under systemd")


def cmd_logs(args: argparse.Namespace) -> int:
    import contextlib
    import threading

    from spotsyncd.core.errors import UserError
    from spotsyncd.system import logview, service

    config = config_from(args)
    since = logview.parse_since(args.since) if args.since else None
    platform = service.detect_platform()
    if not args.file and platform != "launchd" and service.is_installed(platform):
        command = logview.journal_command(since_s=since, level=args.level, follow=args.follow)
        with contextlib.suppress(OSError):  # no journalctl here: fall back to the file
            os.execvp(command[0], command)
    if config.log_file is None:
        raise UserError("log_file is off in the config, and no service journal was found")
    if not config.log_file.exists():
        raise UserError(f"no log file yet at {config.log_file} (has the daemon run?)")
    stop = threading.Event()
    try:
        logview.show(
            config.log_file,
            follow=args.follow,
            since_s=since,
            level=args.level,
            out=sys.stdout,
            stop_event=stop,
        )
    except KeyboardInterrupt:
        stop.set()
    return 0


LOGS = Command(
    "logs",
    "show or follow the log",
    _arguments,
    cmd_logs,
    exits={1: "no log to show: log_file is off, or the daemon has not written it yet"},
)
