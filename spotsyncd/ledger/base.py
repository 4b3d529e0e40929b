"""What every repository of the ledger shares: one ``Store`` with the engine, its transactions
and the after-write hooks.

The repositories (``JobQueue``, ``Follows``, ``Intake``…) each hold the same ``Store`` instead
of inheriting from a common base: a repository that needs another's behaviour is handed that
repository and calls its public methods, so no part reaches into another's private helpers.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, event
from sqlalchemy.exc import OperationalError

from spotsyncd.core.errors import LedgerUnavailableError
from spotsyncd.ledger import db, migrate


class Store:
    """The open database: where it is, its transactions, and who hears of committed writes."""

    def __init__(self, target: str | Path) -> None:
        """Open (and migrate, see migrate.py) the ledger at ``target``: a SQLite file's path,
        or a URL (``sqlite:///…``, ``postgresql+psycopg://…``)."""
        self.path = db.sqlite_path(target)  # None on PostgreSQL
        self.engine = db.open_engine(target)
        try:
            if self.path is not None:  # SQLite: locked, corrupt, read-only… named with a fix
                with db.translated(self.engine):
                    migrate.upgrade(self.engine)
            else:
                migrate.upgrade(self.engine)
        except migrate.NewerLedgerError as exc:
            self.engine.dispose()
            raise LedgerUnavailableError(f"{self.where}: {exc}") from None
        except OperationalError as exc:
            self.engine.dispose()
            raise LedgerUnavailableError(
                f"cannot open the ledger {self.where}: {db.describe_error(exc)}; "
                + db.fix_hint(self.engine)
            ) from None
        except BaseException:
            self.engine.dispose()
            raise
        self._listeners: list[Callable[[], None]] = []
        call_after_writes(self.engine, self.changed)

    @property
    def where(self) -> str:
        """The ledger's location for messages (no password)."""
        return db.describe(self.engine)

    def read(self) -> AbstractContextManager[Connection]:
        """A read transaction: one consistent snapshot."""
        return db.read(self.engine)

    def write(
        self, *, serial: bool = True, quiet: bool = False
    ) -> AbstractContextManager[Connection]:
        """A write transaction (``db.write``: ``serial=False`` for the hot single-row paths,
        ``quiet`` for bookkeeping the listeners need not hear of)."""
        return db.write(self.engine, serial=serial, quiet=quiet)

    def add_listener(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` after each write this process commits, and on ``changed()``
        (another process wrote: the daemon is nudged). It must return at once."""
        self._listeners.append(callback)

    def changed(self) -> None:
        for callback in list(self._listeners):
            callback()

    def integrity_check(self) -> list[str]:
        return db.integrity_check(self.engine)

    def close(self) -> None:
        self.engine.dispose()


def call_after_writes(engine: Engine, callback: Callable[[], None]) -> None:
    """Call ``callback`` (in the writer's thread) after every committed write transaction of
    this process. The commit event comes before the commit itself, so it only marks the
    connection; the pool's check-in, which follows the commit, calls back."""

    @event.listens_for(engine, "commit")
    def _mark(conn: Any) -> None:
        options = conn.get_execution_options()
        if options.get("spotsyncd_write", False) and not options.get("spotsyncd_quiet", False):
            conn.info["spotsyncd_written"] = True

    @event.listens_for(engine.pool, "checkin")
    def _fire(_dbapi_conn: Any, record: Any) -> None:
        if record is not None and record.info.pop("spotsyncd_written", False):
            callback()
