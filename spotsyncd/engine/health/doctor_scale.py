"""``doctor`` for scale-out: the ledger database and, with ``queue.backend: celery``, the Redis
broker and the workers (reachable, versions, migrations current, workers seen lately)."""

from __future__ import annotations

import time
from collections.abc import Iterator

from spotsyncd.core.config import Config
from spotsyncd.core.config_values import redact_password
from spotsyncd.engine.health.checks import Check
from spotsyncd.ledger import describe_error

WORKERS_SEEN_WITHIN_S = 60


def scale_checks(config: Config) -> Iterator[Check]:
    yield from _database(config)
    if config.queue.backend == "celery":
        yield from _broker(config)
        yield from _workers(config)


def _database(config: Config) -> Iterator[Check]:
    from spotsyncd.ledger.migrate import inspect_database, is_older

    where = redact_password(config.ledger.url) if config.ledger.url else str(config.ledger_path)
    if not config.ledger.url and not config.ledger_path.exists():
        yield Check("database", "ok", f"{where} is created at first start (SQLite)")
        return
    try:
        version, now = inspect_database(config.ledger_target)
    except Exception as exc:  # noqa: BLE001 - doctor reports, never crashes
        yield Check(
            "database",
            "fail",
            f"{where} cannot be reached: {describe_error(exc)}",
            "start PostgreSQL (and check host, port, user, password and database name in "
            "'ledger.url'); 'createdb NAME' if the database does not exist yet"
            if config.ledger.url
            else "check that the state dir is readable and writable",
        )
        return
    yield Check("database", "ok", f"{where}: {version}")
    if now.up_to_date:
        yield Check("migrations", "ok", f"schema revision {now.head} (the newest)")
    elif now.current in (None, "legacy") or is_older(now.current):
        yield Check(
            "migrations",
            "warn",
            f"schema revision {now.current or 'none'}, newest is {now.head}",
            "run 'spotsyncd ledger migrate' (starting spotsyncd migrates too)",
        )
    else:
        yield Check(
            "migrations",
            "fail",
            f"schema revision {now.current} is newer than this spotsyncd knows ({now.head})",
            "upgrade spotsyncd on this machine to the version the others run",
        )


def _broker(config: Config) -> Iterator[Check]:
    from spotsyncd.engine.scaleout.celery_queue import broker_version

    where = redact_password(config.queue.broker_url)
    try:
        version = broker_version(config)
    except Exception as exc:  # noqa: BLE001 - doctor reports, never crashes
        yield Check(
            "broker",
            "fail",
            f"{where} cannot be reached: {str(exc).splitlines()[0] if str(exc) else exc!r}",
            "start Redis (e.g. 'systemctl start redis-server') or correct 'queue.broker_url'",
        )
        return
    yield Check("broker", "ok", f"{where}: {version}")


def _workers(config: Config) -> Iterator[Check]:
    from spotsyncd.ledger import Ledger

    try:
        ledger = Ledger(config.ledger_target)
    except Exception:  # noqa: BLE001 - the database check above says why
        return
    try:
        live = ledger.live_workers(WORKERS_SEEN_WITHIN_S)
    finally:
        ledger.close()
    if not live:
        yield Check(
            "workers",
            "warn",
            f"no 'spotsyncd worker' has heart-beaten in the last {WORKERS_SEEN_WITHIN_S}s: "
            "queued jobs wait",
            "start one: 'spotsyncd worker' (or 'docker compose up -d --scale worker=2')",
        )
        return
    now = time.time()
    names = ", ".join(f"{w.name} ({w.concurrency} threads, {now - w.seen_at:.0f}s ago)"
                      for w in live)  # fmt: skip
    yield Check("workers", "ok", f"{len(live)} seen in the last minute: {names}")
    for w in live:  # each worker's own state: offline is per machine
        if w.state == "offline":
            yield Check(
                f"worker {w.name}",
                "warn",
                f"offline on {w.host}: {w.state_reason or 'no network'}; it takes no job",
                f"check the network of {w.host}; the worker resumes by itself once it is back",
            )
        else:
            yield Check(f"worker {w.name}", "ok", f"online on {w.host}, taking jobs")
