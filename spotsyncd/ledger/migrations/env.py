"""Alembic's entry point for spotsyncd's ledger: runs on the connection the ledger hands in.

spotsyncd never runs ``alembic`` from a shell at start-up: ``spotsyncd/ledger/migrate.py`` calls
``command.upgrade`` with an open, locked connection in ``config.attributes["connection"]``.
For writing a new revision by hand, see CONTRIBUTING.md, "Adding a schema change".
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from spotsyncd.ledger.schema import metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters by copying
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _main() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    # The alembic command line (``-x url=…``), for developers writing a revision.
    url = context.get_x_argument(as_dictionary=True).get("url")
    if not url:
        raise SystemExit("pass the database: alembic -x url=sqlite:////tmp/dev.sqlite3 …")
    with create_engine(url).begin() as conn:
        _run(conn)


_main()
