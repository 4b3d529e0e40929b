"""Opening the SQLite ledger: pragmas chosen on purpose, transactions, schema migration.

Durability: WAL journal with ``synchronous=FULL``. In WAL mode FULL fsyncs the log on every
commit, so a link the ledger has accepted survives a power cut (NORMAL could lose the last
commits); the cost is one fsync per transaction, which is small next to a download.
``busy_timeout`` lets the CLI and the daemon share the file; write transactions start with
``BEGIN IMMEDIATE`` so they queue for the write lock instead of failing half-way.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, insert, select
from sqlalchemy.pool import NullPool

from spotsyncd.core.errors import LedgerError
from spotsyncd.ledger import errors
from spotsyncd.ledger.schema import SCHEMA_VERSION, metadata, schema_meta

BUSY_TIMEOUT_MS = 30_000


def open_engine(path: Path) -> Engine:
    with errors.translated(path, BUSY_TIMEOUT_MS / 1000):
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        f"sqlite+pysqlite:///{path}",
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
        poolclass=NullPool if path.name == ":memory:" else None,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (below)
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get("spotsyncd_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def _translated(engine: Engine) -> AbstractContextManager[None]:
    """SQLite's failures as a ``LedgerError`` that names the problem and the fix."""
    return errors.translated(Path(engine.url.database or "ledger"), BUSY_TIMEOUT_MS / 1000)


@contextmanager
def write(engine: Engine) -> Iterator[Connection]:
    """A write transaction: takes the write lock first, commits on success."""
    with _translated(engine), engine.connect() as conn:
        conn = conn.execution_options(spotsyncd_write=True)
        with conn.begin():
            yield conn


@contextmanager
def read(engine: Engine) -> Iterator[Connection]:
    """A read transaction: one consistent snapshot."""
    with _translated(engine), engine.connect() as conn, conn.begin():
        yield conn


def migrate(engine: Engine) -> int:
    """Create missing tables and record the schema version. Returns the version."""
    with _translated(engine):
        return _migrate(engine)


def _migrate(engine: Engine) -> int:
    version = _version_if_complete(engine)
    if version is None:
        # A new (or incomplete) ledger: create what is missing inside one write transaction.
        # BEGIN IMMEDIATE makes processes that open a new ledger at the same moment take
        # turns (each waits up to busy_timeout) instead of racing to CREATE TABLE and failing
        # with "database is locked"; the second one then finds everything there.
        with write(engine) as conn:
            metadata.create_all(conn)
            row = conn.execute(
                select(schema_meta.c.value).where(schema_meta.c.name == "schema_version")
            ).first()
            if row is None:
                conn.execute(
                    insert(schema_meta).values(name="schema_version", value=str(SCHEMA_VERSION))
                )
                conn.execute(insert(schema_meta).values(name="created_at", value=str(time.time())))
                return SCHEMA_VERSION
            version = int(row[0])
    if version > SCHEMA_VERSION:
        raise LedgerError(
            f"the ledger was written by a newer spotsyncd (schema {version} > {SCHEMA_VERSION}): "
            "upgrade spotsyncd, or point state_dir elsewhere"
        )
    # Future migrations: `if version < 2: ...` each in its own write transaction.
    return version


def _version_if_complete(engine: Engine) -> int | None:
    """The schema version when every table is there, else None. Only reads: opening an
    existing ledger (every CLI command) never waits for the daemon's write lock."""
    with read(engine) as conn:
        names = set(
            conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'").scalars()
        )
        if not set(metadata.tables) <= names:
            return None
        row = conn.execute(
            select(schema_meta.c.value).where(schema_meta.c.name == "schema_version")
        ).first()
    return int(row[0]) if row is not None else None


def integrity_check(engine: Engine) -> list[str]:
    """``PRAGMA integrity_check`` plus foreign key check; empty list means healthy."""
    problems: list[str] = []
    with _translated(engine), engine.connect() as conn:
        for (result,) in conn.exec_driver_sql("PRAGMA integrity_check").fetchall():
            if result != "ok":
                problems.append(str(result))
        for row in conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall():
            problems.append(f"foreign key: {tuple(row)}")
        conn.rollback()
    return problems
