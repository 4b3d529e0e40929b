"""``spotsyncd run``."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from spotsyncd.cli.common import config_from


def cmd_run(args: argparse.Namespace) -> int:
    from spotsyncd.engine.daemon import Daemon
    from spotsyncd.system.logsetup import setup_logging

    config = config_from(args)
    setup_logging(config)
    print(f"spotsyncd: drop .txt files of links into {config.inbox_dir}", file=sys.stderr)
    print(f"spotsyncd: finished tracks go to {config.library_dir}", file=sys.stderr)
    daemon = Daemon(config, config_path=getattr(args, "config", None), web_factory=_start_web)
    code = daemon.run(once=args.once)
    exit_quickly()
    return code


def exit_quickly() -> None:
    """The daemon has stopped and the process ends next. Python's last garbage collection
    would walk every object left (yt-dlp's ~1,800 extractors among them): 4-5 s on a loaded
    2-core machine, enough to overrun a 10 s ``docker stop`` and be killed. Freezing them
    skips that walk (0.2 s); the memory goes back to the system with the process anyway."""
    import gc

    gc.freeze()


def _start_web(config: Any, ledger: Any, nudge: Any) -> Any:
    """The web API is a layer above the engine: the daemon gets it handed in from here."""
    from spotsyncd.api.server import start_web

    return start_web(config, ledger, nudge)
