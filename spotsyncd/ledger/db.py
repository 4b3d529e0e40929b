"""Opening the ledger database (SQLite or PostgreSQL) and its transactions.

SQLite durability: WAL journal with ``synchronous=FULL``. In WAL mode FULL fsyncs the log on every
commit, so a link the ledger has accepted survives a power cut (NORMAL could lose the last
commits); the cost is one fsync per transaction, which is small next to a download.
``busy_timeout`` lets the CLI and the daemon share the file; write transactions start with
``BEGIN IMMEDIATE`` so they queue for the write lock instead of failing half-way.

PostgreSQL: write transactions first take one transaction-level advisory lock, so they run one
after the other exactly as on SQLite and the ledger's read-then-write steps keep their meaning.
The hot, single-row paths (claims, progress, heartbeats) skip it (``serial=False``): claims rely
on ``FOR UPDATE SKIP LOCKED`` instead. A restarted server costs one failed statement: SQLAlchemy
then drops every pooled connection older than the failure, and the callers retry (no ping
before each use: it would double the round trips of every short transaction).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from spotsyncd.ledger import errors

BUSY_TIMEOUT_MS = 30_000
# pg_advisory_xact_lock key shared by every serial write transaction ("spotsyncd" in hex-ish).
WRITE_LOCK_KEY = 0x5E075C0D
CONNECT_TIMEOUT_S = 10


def sqlite_path(target: str | Path) -> Path | None:
    """The SQLite file ``target`` names (a path or a ``sqlite:///`` URL); None for a server."""
    if isinstance(target, Path):
        return target
    url = make_url(target)
    if url.get_backend_name() != "sqlite":
        return None
    return Path(url.database or ":memory:")


def _private(path: Path) -> None:
    """The ledger holds every link, path and error: readable by its owner only. The file is
    made 0600 before SQLite opens it (SQLite gives its -wal and -shm files the same mode), and
    a looser one of ours is tightened."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        return  # read-only or not ours: SQLite's own error says what is wrong
    try:
        if os.fstat(fd).st_mode & 0o077:
            with contextlib.suppress(OSError):
                os.fchmod(fd, 0o600)
    finally:
        os.close(fd)


def open_engine(target: str | Path) -> Engine:
    """An engine for a SQLite file (a ``Path`` or ``sqlite:///`` URL) or a PostgreSQL URL."""
    path = sqlite_path(target)
    if path is not None:
        return _open_sqlite(path)
    return _open_postgresql(str(target))


def _open_sqlite(path: Path) -> Engine:
    if path.name != ":memory:":
        with errors.translated(path, BUSY_TIMEOUT_MS / 1000):
            path.parent.mkdir(parents=True, exist_ok=True)
            _private(path)
    engine = create_engine(
        f"sqlite+pysqlite:///{path}",
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
        poolclass=NullPool if path.name == ":memory:" else None,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (below)
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        _use_wal(cursor)
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get("spotsyncd_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def _use_wal(cursor: Any) -> None:
    """Switch a new file to WAL (a file once switched stays so: then only a read). Switching
    needs the file to itself; when processes open a new ledger at the same instant, SQLite
    answers "database is locked" at once to one of them instead of waiting (its deadlock
    guard ignores busy_timeout), so that one tries again, within the busy timeout."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
                return
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _open_postgresql(url: str) -> Engine:
    return create_engine(
        url,
        pool_recycle=1800,  # firewalls and NATs drop connections idle for long
        pool_size=5,
        max_overflow=20,
        connect_args={"connect_timeout": CONNECT_TIMEOUT_S, "application_name": "spotsyncd"},
    )


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def translated(engine: Engine) -> AbstractContextManager[None]:
    """SQLite's failures as a ``LedgerError`` that names the problem and the fix. PostgreSQL's
    pass unchanged: the worker and coordinator tell an outage by them (``is_unavailable``)."""
    if not is_sqlite(engine):
        return nullcontext()
    return errors.translated(Path(engine.url.database or "ledger"), BUSY_TIMEOUT_MS / 1000)


@contextmanager
def write(engine: Engine, *, serial: bool = True, quiet: bool = False) -> Iterator[Connection]:
    """A write transaction: takes the write lock first, commits on success.

    ``serial=False`` (PostgreSQL only) skips the ledger-wide lock for statements that touch one
    row they already own or lock themselves (claims, progress, heartbeats). ``quiet``: the
    after-write listeners are not told (bookkeeping such as rate-budget turns, written many
    times a second, which no reader of jobs and events needs to hear of)."""
    with translated(engine), engine.connect() as conn:
        conn = conn.execution_options(spotsyncd_write=True, spotsyncd_quiet=quiet)
        with conn.begin():
            if serial and not is_sqlite(engine):
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITE_LOCK_KEY})
            yield conn


@contextmanager
def read(engine: Engine) -> Iterator[Connection]:
    """A read transaction: one consistent snapshot."""
    with translated(engine), engine.connect() as conn, conn.begin():
        yield conn


def integrity_check(engine: Engine) -> list[str]:
    """SQLite: ``PRAGMA integrity_check`` plus foreign key check; empty list means healthy.
    PostgreSQL keeps its own pages consistent: only the connection is checked."""
    problems: list[str] = []
    with translated(engine), engine.connect() as conn:
        if not is_sqlite(engine):
            conn.execute(text("SELECT 1"))
            conn.rollback()
            return problems
        for (result,) in conn.exec_driver_sql("PRAGMA integrity_check").fetchall():
            if result != "ok":
                problems.append(str(result))
        for row in conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall():
            problems.append(f"foreign key: {tuple(row)}")
        conn.rollback()
    return problems


def server_version(engine: Engine) -> str:
    """``SQLite 3.45.1`` or ``PostgreSQL 15.2``."""
    with engine.connect() as conn:
        if is_sqlite(engine):
            version = conn.exec_driver_sql("SELECT sqlite_version()").scalar()
            name = "SQLite"
        else:
            version = conn.execute(text("SHOW server_version")).scalar()
            name = "PostgreSQL"
        conn.rollback()
    return f"{name} {str(version).split()[0]}"


def describe(engine: Engine) -> str:
    """``/path/ledger.sqlite3`` or ``postgresql+psycopg://user:***@host:5432/db``."""
    if is_sqlite(engine):
        return str(engine.url.database)
    return engine.url.render_as_string(hide_password=True)


def describe_error(exc: BaseException) -> str:
    """The first line of a driver error, without SQLAlchemy's background links."""
    original = getattr(exc, "orig", None) or exc
    lines = [ln.strip() for ln in str(original).splitlines() if ln.strip()]
    return lines[0] if lines else type(original).__name__


def fix_hint(engine: Engine) -> str:
    if is_sqlite(engine):
        return "check that the state dir is writable and the disk is not full"
    return "start PostgreSQL or correct 'ledger.url' (spotsyncd doctor checks it)"


def is_unavailable(exc: BaseException) -> bool:
    """True when ``exc`` means the database cannot be reached right now (server restarting,
    network gone, connection dropped), as opposed to a bug or bad data."""
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

    if isinstance(exc, OperationalError | InterfaceError):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)
