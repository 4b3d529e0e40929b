"""``spotsyncd logs [-f] [--since 1h] [--level warning]``."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import threading

from spotsyncd.cli.common import config_from


def cmd_logs(args: argparse.Namespace) -> int:
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
