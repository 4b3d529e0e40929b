"""``spotsyncd run``."""

from __future__ import annotations

import argparse
import sys

from spotsyncd.cli.common import config_from


def cmd_run(args: argparse.Namespace) -> int:
    from spotsyncd.engine.daemon import Daemon
    from spotsyncd.system.logsetup import setup_logging

    config = config_from(args)
    setup_logging(config)
    print(f"spotsyncd: drop .txt files of links into {config.inbox_dir}", file=sys.stderr)
    print(f"spotsyncd: finished tracks go to {config.library_dir}", file=sys.stderr)
    return Daemon(config, config_path=getattr(args, "config", None)).run(once=args.once)
