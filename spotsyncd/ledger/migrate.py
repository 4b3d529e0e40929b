"""Schema migrations with Alembic, run when a ledger is opened, under a lock.

The revisions live in ``spotsyncd/ledger/migrations/versions``. Opening a ledger brings it to the
newest revision; two processes doing that at once (the daemon starting while ``spotsyncd status``
runs) take turns:

- SQLite: an exclusive ``flock`` on ``<ledger file>.lock`` held while the first connection sets
  WAL mode and the migration runs inside ``BEGIN IMMEDIATE``;
- PostgreSQL: ``pg_advisory_lock`` on a fixed key, held by the migrating connection.

A ledger made before Alembic (``schema_meta.schema_version`` = 1, no ``alembic_version`` table)
is stamped with the baseline revision, not recreated, and then upgraded like any other.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text

from spotsyncd.ledger import db

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig
    from alembic.script import ScriptDirectory

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
BASELINE = "0001_baseline"
MIGRATE_LOCK_KEY = 0x5E075C0E
LEGACY_SCHEMA_VERSION = 1  # schema_meta.schema_version of ledgers made before Alembic
_REVISION = re.compile(r"^revision\s*=\s*[\"']([^\"']+)[\"']", re.MULTILINE)
_DOWN_REVISION = re.compile(r"^down_revision\s*=\s*(.+)$", re.MULTILINE)  # one id or a tuple


class NewerLedgerError(RuntimeError):
    """The database was migrated by a newer spotsyncd than this one."""


@dataclass(frozen=True)
class MigrationState:
    current: str | None  # None: an empty database
    head: str

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


def _alembic_config(conn: Connection | None = None) -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if conn is not None:
        cfg.attributes["connection"] = conn
    return cfg


@lru_cache(maxsize=1)
def _script() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config())


def is_older(revision: str) -> bool:
    """``revision`` is one this spotsyncd knows and not its newest: a migration brings it up.
    (Revision ids are not ordered by their numbers: branches merged later chain on.)"""
    if revision == head_revision():
        return False
    try:
        _script().get_revision(revision)
    except Exception:  # noqa: BLE001 - alembic raises several kinds for unknown ids
        return False
    return True


@lru_cache(maxsize=1)
def head_revision() -> str:
    """The newest revision, read from the revision files' ``revision``/``down_revision`` lines
    (cheap: opening an up-to-date ledger never imports alembic). The test suite checks it
    against alembic's own answer."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        found = _REVISION.search(source)
        if found is None:
            continue
        revisions.add(found.group(1))
        down = _DOWN_REVISION.search(source)
        if down is not None:
            parents.update(re.findall(r"[\"']([^\"']+)[\"']", down.group(1)))
    heads = sorted(revisions - parents)
    if len(heads) != 1:
        raise RuntimeError(f"the ledger migrations must have one head, found {heads}")
    return heads[0]


def _current(conn: Connection) -> str | None:
    names = set(inspect(conn).get_table_names())
    if "alembic_version" in names:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    if "schema_meta" in names:
        version = conn.execute(
            text("SELECT value FROM schema_meta WHERE name = 'schema_version'")
        ).scalar()
        if version is not None and int(version) == LEGACY_SCHEMA_VERSION:
            return "legacy"
    return None


def state(engine: Engine) -> MigrationState:
    """Where the database is, without changing it."""
    with engine.connect() as conn:
        current = _current(conn)
        conn.rollback()
    return MigrationState(current=current, head=head_revision())


def upgrade(engine: Engine) -> MigrationState:
    """Bring the database to the newest revision (a no-op when it is there already)."""
    head = head_revision()
    if state(engine).up_to_date:
        # The common case, every CLI command: a read only, so opening an up-to-date ledger
        # never waits for the daemon's write lock (nor takes the migration lock).
        return MigrationState(current=head, head=head)
    with _migration_connection(engine) as conn:
        current = _current(conn)
        if current is not None and current != "legacy" and current != head:
            try:
                _script().get_revision(current)
            except Exception:  # noqa: BLE001 - alembic raises several kinds for unknown ids
                raise NewerLedgerError(
                    f"the ledger is at schema revision {current}, which this spotsyncd does not "
                    "know: it was migrated by a newer spotsyncd; upgrade spotsyncd"
                ) from None
        if current == head:
            return MigrationState(current=head, head=head)
        from alembic import command

        logging.getLogger("alembic").setLevel(logging.WARNING)  # our own lines say it
        cfg = _alembic_config(conn)
        if current == "legacy":
            log.info("ledger made before migrations: stamping it as %s", BASELINE)
            command.stamp(cfg, BASELINE)
        log.info("migrating the ledger from %s to %s", current or "empty", head)
        command.upgrade(cfg, "head")
    return MigrationState(current=head, head=head)


@contextmanager
def _migration_connection(engine: Engine) -> Iterator[Connection]:
    """A connection that holds the migration lock; committed when the block succeeds."""
    if db.is_sqlite(engine):
        path = Path(engine.url.database or ":memory:")
        with _file_lock(path), engine.connect() as conn:
            conn = conn.execution_options(spotsyncd_write=True)
            with conn.begin():
                yield conn
        return
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATE_LOCK_KEY})
        conn.commit()
        try:
            with conn.begin():
                yield conn
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATE_LOCK_KEY})
            conn.commit()


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """Exclusive ``flock`` on ``<path>.lock`` (nothing for an in-memory database)."""
    if path.name == ":memory:":
        yield
        return
    try:
        import fcntl
    except ImportError:  # not POSIX: BEGIN IMMEDIATE alone orders the migrations
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing drops the lock


def inspect_database(target: str | Path) -> tuple[str, MigrationState]:
    """The server's version and the migration state of ``target``, changing nothing (for
    ``doctor``). Raises the driver's error when it cannot be reached."""
    engine = db.open_engine(target)
    try:
        return db.server_version(engine), state(engine)
    finally:
        engine.dispose()
