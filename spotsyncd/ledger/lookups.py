"""The MusicBrainz and AcoustID answers cache (``core.protocols.LookupCache``), one for every
process that shares the ledger: a recording looked up once is never asked again by another
worker within the cache's age."""

from __future__ import annotations

import time

from sqlalchemy import select

from spotsyncd.ledger.base import Store
from spotsyncd.ledger.dialects import insert_for
from spotsyncd.ledger.schema import lookup_cache


class Lookups:
    def __init__(self, store: Store) -> None:
        self._store = store

    def cached_answer(self, service: str, key: str, max_age_s: float) -> str | None:
        """The answer kept for ``(service, key)``, unless older than ``max_age_s``."""
        with self._store.read() as conn:
            row = conn.execute(
                select(lookup_cache.c.body, lookup_cache.c.fetched_at).where(
                    lookup_cache.c.service == service, lookup_cache.c.key == key
                )
            ).first()
        if row is None or row.fetched_at < time.time() - max_age_s:
            return None
        return str(row.body)

    def remember_answer(self, service: str, key: str, body: str) -> None:
        with self._store.write(serial=False) as conn:
            statement = insert_for(conn, lookup_cache).values(
                service=service, key=key, body=body, fetched_at=time.time()
            )
            conn.execute(
                statement.on_conflict_do_update(
                    index_elements=["service", "key"],
                    set_={"body": statement.excluded.body,
                          "fetched_at": statement.excluded.fetched_at},
                )
            )  # fmt: skip
