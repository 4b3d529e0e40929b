"""SQLite's failures, in words: which problem the ledger has and how to fix it."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from spotsyncd.core.errors import LedgerError


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (containers)
        return "this user"


def describe(exc: BaseException, path: Path, busy_timeout_s: float) -> LedgerError:
    """A ``LedgerError`` naming what went wrong with the ledger at ``path`` and the fix."""
    raw = str(getattr(exc, "orig", None) or exc).strip()
    text = raw.lower()
    if "locked" in text or "busy" in text:
        return LedgerError(
            f"the ledger {path} is locked by another program (waited {busy_timeout_s:.0f}s): "
            "stop whatever holds it (a backup, an SQLite browser, a stuck spotsyncd process) "
            "and try again"
        )
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return LedgerError(
            f"the ledger {path} is corrupt ({raw}): stop spotsyncd, then restore it from a "
            f"backup, or move it aside to start a fresh one: mv '{path}' '{path}.broken'"
        )
    if "readonly" in text or "read-only" in text:
        return LedgerError(
            f"the ledger {path} is read-only: make it and its folder writable by {_user()} "
            f"(chmod u+w '{path}' '{path.parent}'), or mount that disk read-write"
        )
    if "disk is full" in text or "disk or" in text or "no space" in text:
        return LedgerError(
            f"the disk holding the ledger {path} is full: free some space there and try again"
        )
    if "unable to open" in text or "permission" in text or "access" in text:
        return LedgerError(
            f"the ledger {path} cannot be opened ({raw}): check that state_dir exists and that "
            f"{_user()} may read and write it and the files in it"
        )
    if "i/o" in text:
        return LedgerError(
            f"the disk holding the ledger {path} failed to read or write ({raw}): check the "
            "disk (dmesg), free space, and try again"
        )
    return LedgerError(f"the ledger {path} failed: {raw}")


@contextmanager
def translated(path: Path, busy_timeout_s: float) -> Iterator[None]:
    """Turn SQLAlchemy/SQLite errors raised inside into ``LedgerError``; others pass."""
    try:
        yield
    except (DBAPIError, SQLAlchemyError) as exc:
        raise describe(exc, path, busy_timeout_s) from exc
    except OSError as exc:  # e.g. the state folder cannot be created
        raise describe(exc, path, busy_timeout_s) from exc
