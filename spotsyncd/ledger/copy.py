"""Copy a whole ledger into another database (SQLite → PostgreSQL), verified by counts.

Rows keep their ids, so links between tables stay right. A row whose id is already in the target
is skipped, so running the copy again after an interruption finishes it and changes nothing
else. Afterwards every table must hold at least the source's rows with the same ids; the
PostgreSQL id sequences are moved past the copied ids.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, ColumnElement, Connection, Table, func, literal, select, text, tuple_

from spotsyncd.ledger import db
from spotsyncd.ledger.dialects import insert_for
from spotsyncd.ledger.schema import (
    collection_items,
    collection_tracks,
    collections,
    events,
    follow_items,
    follows,
    inbox_files,
    inbox_lines,
    jobs,
    tracks,
)
from spotsyncd.ledger.store import Ledger

# Parents before children (foreign keys).
TABLES: tuple[Table, ...] = (
    tracks,
    jobs,
    inbox_files,
    inbox_lines,
    collection_items,
    follows,
    follow_items,
    collections,
    collection_tracks,
    events,
)
BATCH = 2000


@dataclass(frozen=True)
class TableCopy:
    name: str
    source: int
    copied: int  # rows new in the target this run
    target: int
    missing: int  # source rows (by primary key) not in the target afterwards

    @property
    def ok(self) -> bool:
        return self.missing == 0


def copy_ledger(
    source: Ledger, target: Ledger, progress: Callable[[str], None] = lambda _: None
) -> list[TableCopy]:
    results = []
    for table in TABLES:
        copied = _copy_table(source, target, table, progress)
        results.append(_verify(source, target, table, copied))
    if not db.is_sqlite(target.engine):
        _move_sequences(target)
    return results


def _copy_table(
    source: Ledger, target: Ledger, table: Table, progress: Callable[[str], None]
) -> int:
    keys = list(table.primary_key.columns)
    copied = 0
    last: tuple[object, ...] | None = None
    while True:
        query = select(table).order_by(*keys).limit(BATCH)
        if last is not None:
            query = query.where(_after(keys, last))
        with db.read(source.engine) as conn:
            rows = [dict(r._mapping) for r in conn.execute(query)]
        if not rows:
            return copied
        last = tuple(rows[-1][k.name] for k in keys)
        with db.write(target.engine) as conn:
            statement = insert_for(conn, table).on_conflict_do_nothing(index_elements=keys)
            copied += len(conn.execute(statement.returning(*keys), rows).all())
        progress(f"{table.name}: {copied} rows copied so far")


def _after(keys: list[Column[Any]], last: tuple[object, ...]) -> ColumnElement[bool]:
    """Keyset pagination over a (possibly composite) primary key."""
    if len(keys) == 1:
        return keys[0] > last[0]
    return tuple_(*keys) > tuple_(*(literal(v) for v in last))


def _verify(source: Ledger, target: Ledger, table: Table, copied: int) -> TableCopy:
    keys = list(table.primary_key.columns)
    with db.read(source.engine) as conn:
        source_keys = {tuple(r) for r in conn.execute(select(*keys))}
    with db.read(target.engine) as conn:
        target_keys = {tuple(r) for r in conn.execute(select(*keys))}
        target_count = int(conn.execute(select(func.count()).select_from(table)).scalar() or 0)
    return TableCopy(
        name=table.name,
        source=len(source_keys),
        copied=copied,
        target=target_count,
        missing=len(source_keys - target_keys),
    )


def _move_sequences(target: Ledger) -> None:
    """Copied rows brought their ids; the next new row must get a higher one."""
    with db.write(target.engine) as conn:
        for table in TABLES:
            if len(table.primary_key.columns) != 1 or "id" not in table.c:
                continue
            _set_sequence(conn, table.name)


def _set_sequence(conn: Connection, name: str) -> None:
    conn.execute(
        text(
            f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM {name}), 0) + 1, false)"
        )
    )
