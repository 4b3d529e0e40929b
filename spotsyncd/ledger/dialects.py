"""The few statements SQLite and PostgreSQL spell differently, behind one name each."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import JSON, Connection, FromClause, String, Table, cast, func, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class json_text(FunctionElement[str]):  # noqa: N801 - used like a SQL function
    """``json_text(column, "field")``: a top-level field of a JSON text column, as text."""

    type = String()
    inherit_cache = True
    name = "json_text"


@compiles(json_text, "sqlite")
def _json_text_sqlite(element: json_text, compiler: Any, **kw: Any) -> str:
    column, field = list(element.clauses)
    path = literal(f"$.{field.value}")
    return f"json_extract({compiler.process(column, **kw)}, {compiler.process(path, **kw)})"


@compiles(json_text, "postgresql")
def _json_text_postgresql(element: json_text, compiler: Any, **kw: Any) -> str:
    column, field = list(element.clauses)
    return f"(CAST({compiler.process(column, **kw)} AS JSON) ->> {compiler.process(field, **kw)})"


def insert_for(conn: Connection, table: Table) -> Any:
    """An INSERT that knows ``on_conflict_do_update`` on this connection's database."""
    if conn.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table)
    from sqlalchemy.dialects.postgresql import insert as postgresql_insert

    return postgresql_insert(table)


def ordered_values(conn: Connection, values: Sequence[str]) -> FromClause:
    """A table of (``position`` from 0, ``value``) made from ``values`` in ONE statement: the
    values travel as one JSON array that the database unpacks."""
    array = json.dumps(list(values))
    if conn.dialect.name == "sqlite":
        entries = func.json_each(array).table_valued("key", "value")
        return entries.alias("entries")  # key is json_each's 0-based index
    rows = func.json_array_elements_text(cast(literal(array), JSON)).table_valued(
        "value", with_ordinality="ordinality"
    )
    return rows.alias("entries")


def position_of(entries: FromClause) -> Any:
    """The 0-based position column of ``ordered_values``' table."""
    if "ordinality" in entries.c:
        return entries.c.ordinality - 1
    return entries.c.key
