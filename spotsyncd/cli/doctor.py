"""``spotsyncd doctor [--repair] [--json]``."""

from __future__ import annotations

import argparse

from spotsyncd.cli.command import Command
from spotsyncd.cli.common import config_from, print_json

MARK = {"ok": "ok  ", "warn": "WARN", "fail": "FAIL"}


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--repair",
        action="store_true",
        help="queue tracks whose library file vanished to download again",
    )
    parser.add_argument(
        "--sources",
        action="store_true",
        help="also run each source's canary now (YouTube, YouTube Music, Spotify, LRCLIB, "
        "media servers) and record it, as the daemon does daily",
    )
    parser.add_argument("--json", action="store_true", help="machine-readable JSON")


def cmd_doctor(args: argparse.Namespace) -> int:
    import dataclasses

    from spotsyncd.engine.health.doctor import run_checks

    config = config_from(args)
    checks = run_checks(config, repair=args.repair)
    if args.sources:
        from spotsyncd.engine.health.source_watch import check_sources_now

        checks += check_sources_now(config)
    if args.json:
        print_json([dataclasses.asdict(c) for c in checks])
    else:
        for check in checks:
            print(f"[{MARK[check.status]}] {check.name}: {check.detail}")
            if check.fix and check.status != "ok":
                print(f"       fix: {check.fix}")
    return 1 if any(c.status == "fail" for c in checks) else 0


DOCTOR = Command(
    "doctor",
    "check the set-up and explain each problem with a fix",
    _arguments,
    cmd_doctor,
    exits={0: "every check passed (warnings allowed)", 1: "a check failed (its fix is printed)"},
)
