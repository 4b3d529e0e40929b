"""``spotsyncd ledger migrate`` and ``spotsyncd ledger copy --to URL``."""

from __future__ import annotations

import argparse
import sys

from spotsyncd.cli.command import Command
from spotsyncd.cli.common import config_from, open_ledger


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "action",
        choices=["migrate", "copy"],
        help="migrate: bring the ledger's schema up to date; "
        "copy: copy every row into the database --to names (the daemon must be stopped)",
    )
    parser.add_argument("--to", metavar="URL", help="copy: the target, postgresql+psycopg://…")


def cmd_ledger(args: argparse.Namespace) -> int:
    if args.action == "migrate":
        return _migrate(args)
    return _copy(args)


LEDGER = Command(
    "ledger",
    "migrate the ledger's schema, or copy it to PostgreSQL",
    _arguments,
    cmd_ledger,
    exits={
        0: "migrate: the schema is up to date; copy: every row is in the target",
        1: "migrate: the schema is still behind; copy: rows are missing in the target, or a "
        "daemon runs on the ledger",
    },
)


def _migrate(args: argparse.Namespace) -> int:
    from spotsyncd.ledger.migrate import state

    config = config_from(args)
    ledger = open_ledger(config)  # opening migrates, under the migration lock
    try:
        now = state(ledger.engine)
    finally:
        ledger.close()
    print(f"ledger {ledger.where}: schema revision {now.current} (newest: {now.head})")
    return 0 if now.up_to_date else 1


def _copy(args: argparse.Namespace) -> int:
    from spotsyncd.core.config_values import database_url, redact_password
    from spotsyncd.core.errors import UserError
    from spotsyncd.ledger import Ledger
    from spotsyncd.ledger.copy import copy_ledger
    from spotsyncd.system.lock import holder_pid

    config = config_from(args)
    if not args.to:
        raise UserError("name the target: spotsyncd ledger copy --to postgresql+psycopg://…/DB")
    try:
        target_url = database_url(args.to)
    except ValueError as exc:
        raise UserError(f"--to: {exc}") from None
    assert target_url is not None
    pid = holder_pid(config.state_dir)
    if pid:
        raise UserError(
            f"spotsyncd (pid {pid}) is running on this ledger; stop it first so that the copy "
            "is complete, then run the copy again"
        )
    source = open_ledger(config)
    try:
        if source.where == Ledger.describe_url(target_url):
            raise UserError("--to names the ledger itself; give another database")
        target = Ledger(target_url)
        try:
            print(f"copying {source.where} → {redact_password(target_url)}", file=sys.stderr)
            results = copy_ledger(source, target)
        finally:
            target.close()
    finally:
        source.close()
    bad = 0
    for table in results:
        mark = "ok" if table.ok else "MISSING"
        print(
            f"{table.name:17} source {table.source:7}  copied now {table.copied:7}  "
            f"target {table.target:7}  {mark}"
        )
        bad += table.missing
    if bad:
        print(
            f"spotsyncd: {bad} rows did not reach the target; run the copy again "
            "(it only adds what is missing)",
            file=sys.stderr,
        )
        return 1
    print(
        f"done: every row is in {redact_password(target_url)}; "
        "set ledger.url to it and start spotsyncd"
    )
    return 0
