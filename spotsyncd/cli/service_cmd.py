"""``spotsyncd service install|uninstall|status|start|stop [--print] [--system]``."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from spotsyncd.cli.command import Command
from spotsyncd.cli.common import config_from


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "action",
        choices=["install", "uninstall", "status", "start", "stop"],
        help="install: write the unit (systemd) or agent (launchd), enable and start it; "
        "uninstall: stop and remove it; status, start, stop: ask the service manager",
    )
    parser.add_argument(
        "--print",
        dest="print_only",
        action="store_true",
        help="show the unit without installing it",
    )
    parser.add_argument(
        "--system", action="store_true", help="the system unit for a dedicated user (Linux)"
    )
    parser.add_argument(
        "--executable", type=Path, help="the spotsyncd to run (default: this installation's)"
    )


def cmd_service(args: argparse.Namespace) -> int:
    from spotsyncd.core.config import default_config_path
    from spotsyncd.system import service

    platform = service.detect_platform()
    if args.system:
        if platform == "launchd":
            from spotsyncd.core.errors import UserError

            raise UserError("--system is for Linux (systemd); on macOS use the user agent")
        platform = "systemd-system"
    if args.action == "install":
        config = config_from(args)
        config_path = (args.config if getattr(args, "config", None) else None) or (
            config.source or default_config_path()
        )
        if not args.print_only and not config_path.exists():
            _write_starter_config(config_path)
        report = service.install(
            platform,
            executable=args.executable or service.default_executable(),
            config_path=config_path,
            rw_paths=service.writable_paths(config),
            dry_run=args.print_only,
        )
        if args.print_only:
            print(f"# {report.path}")
            print(report.content, end="")
            return 0
        print(f"installed {report.path} and started it")
        for command in report.commands:
            print("  ran: " + " ".join(command))
        return 0
    if args.action == "uninstall":
        report = service.uninstall(platform, dry_run=args.print_only)
        print(("would remove " if args.print_only else "removed ") + str(report.path))
        return 0
    if args.action == "start":
        service.start(platform)
        print("started")
        return 0
    if args.action == "stop":
        service.stop(platform)
        print("stopped")
        return 0
    state = service.status(platform)
    print(f"{state.path}: {'installed' if state.installed else 'not installed'}, {state.state}")
    return 0 if state.active else 1


def _write_starter_config(path: Path) -> None:
    """The unit names its config file, so it must exist: an empty one means all defaults."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(
            "# spotsyncd configuration: every key is optional and defaults apply.\n"
            "# See config.example.yaml in the spotsyncd repository for every key.\n"
        )
    print(f"created {path} (empty: all defaults)")


SERVICE = Command(
    "service",
    "install/uninstall/start/stop/status the system service",
    _arguments,
    cmd_service,
    exits={1: "status: the service is not running; other actions: they failed (the line says why)"},
)
