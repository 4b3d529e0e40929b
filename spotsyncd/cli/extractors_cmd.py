"""``spotsyncd extractors status|update|rollback``: the yt-dlp in use, and changing it by hand.

An update installs the release into a folder under the state dir, tries it in a subprocess and
only then switches; a running daemon takes the switch up between jobs. See the docs' page
"Keeping yt-dlp fresh"."""

from __future__ import annotations

import argparse
from typing import Any

from spotsyncd.cli.command import Command
from spotsyncd.cli.common import config_from, print_json


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "action",
        choices=["status", "update", "rollback"],
        help="status: the yt-dlp in use, its age and the newest release; update: install the "
        "newest (or --version) release, try it and switch to it; rollback: back to the release "
        "before",
    )
    parser.add_argument(
        "--version",
        dest="release",
        metavar="VERSION",
        help="update: this release (e.g. 2026.11.30) instead of the newest",
    )
    parser.add_argument(
        "--check", action="store_true", help="status: also ask the package index for the newest"
    )
    parser.add_argument("--json", action="store_true", help="status: print JSON")


def cmd_extractors(args: argparse.Namespace) -> int:
    from spotsyncd.cli.common import open_ledger
    from spotsyncd.extractors.fetch import FetchError
    from spotsyncd.extractors.updater import Updater

    config = config_from(args)
    if args.action == "status":  # files only: works while the ledger is busy or away
        updater = Updater(config, None)
        if args.check:
            try:
                updater.check()
            except FetchError as exc:
                print(f"could not ask the package index: {exc}")
        data = updater.status()
        print_json(data) if args.json else print(describe(data))
        return 0
    ledger = open_ledger(config)
    try:
        updater = Updater(config, ledger)
        if args.action == "update":
            outcome = updater.update(args.release, force=bool(args.release))
        else:
            outcome = updater.rollback()
        print(outcome.message)
        # Already the newest is success for a script or a timer; a refused or failed one is not.
        return 0 if outcome.switched or outcome.current or args.action == "rollback" else 1
    finally:
        ledger.close()


def describe(data: dict[str, Any]) -> str:
    """The status in lines, as ``status`` and ``doctor`` say it too."""
    where = "as installed" if data["where"] == "installed" else f"from {data['folder']}"
    age = data.get("age_days")
    lines = [
        f"yt-dlp {data['version']} ({where}"
        + (f", {age} days old" if age is not None else "")
        + ")"
    ]
    if data.get("newest"):
        lines.append(
            f"newest release: {data['newest']}"
            + (" (update available)" if data.get("update_available") else "")
            + (
                " (older than the one running: is extractors.index_url a stale mirror?)"
                if data.get("index_behind")
                else ""
            )
        )
    lines.append(f"extractors.auto_update: {data['auto_update']}")
    probation = data.get("probation") or {}
    if probation.get("sources"):
        lines.append(f"on probation for: {', '.join(probation['sources'])}")
    for record in data.get("history") or []:
        lines.append(f"  {record['kind']} {record['from']} → {record['to']}: {record['reason']}")
    return "\n".join(lines)


EXTRACTORS = Command(
    "extractors",
    "the yt-dlp in use: status, update to a newer release, roll back",
    _arguments,
    cmd_extractors,
    exits={1: "update: the release was refused (it failed its check) or could not be installed"},
)
