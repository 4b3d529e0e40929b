"""Collections: the named lists an imported playlist file or export brings (each playlist of a
Spotify account export, its liked songs, an M3U's or a CSV's playlist), in the file's order.

A collection is no follow: nothing polls it. Importing a list of the same name again replaces its
items, since the newer file is the list as it is now. Its tracks are ordinary tracks, so a track
in several collections (or also asked for by a link) is one track with one file.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, delete, func, insert, select, update

from spotsyncd.ledger.base import Store
from spotsyncd.ledger.follows.rows import FollowTrack, entries_query, entry_of
from spotsyncd.ledger.schema import collection_tracks, collections, jobs, tracks

_CHUNK = 500


@dataclass(frozen=True)
class CollectionRow:
    id: int
    name: str
    origin: str | None
    created_at: float
    updated_at: float
    size: int  # how many tracks it lists


class Collections:
    def __init__(self, store: Store) -> None:
        self._store = store

    def save_collection(
        self, name: str, keys: Sequence[str], *, origin: str | None = None
    ) -> CollectionRow:
        """Make ``name`` list the tracks of ``keys`` in this order (a key repeated, or with no
        track, is left out). The tracks must be in the ledger already."""
        now = time.time()
        with self._store.write() as conn:
            ids = _track_ids(conn, keys)
            ordered = list(dict.fromkeys(ids[key] for key in keys if key in ids))
            found = conn.execute(select(collections.c.id).where(collections.c.name == name))
            collection_id = found.scalar()
            if collection_id is None:
                result = conn.execute(
                    insert(collections).values(
                        name=name, origin=origin, created_at=now, updated_at=now
                    )
                )
                collection_id = int(result.inserted_primary_key[0])  # type: ignore[index]
            else:
                conn.execute(
                    update(collections)
                    .where(collections.c.id == collection_id)
                    .values(origin=origin, updated_at=now)
                )
                conn.execute(
                    delete(collection_tracks).where(
                        collection_tracks.c.collection_id == collection_id
                    )
                )
            if ordered:
                conn.execute(
                    insert(collection_tracks),
                    [
                        {"collection_id": collection_id, "track_id": track_id, "position": n}
                        for n, track_id in enumerate(ordered, start=1)
                    ],
                )
        return CollectionRow(collection_id, name, origin, now, now, len(ordered))

    def collections(self) -> list[CollectionRow]:
        size = (
            select(func.count())
            .where(collection_tracks.c.collection_id == collections.c.id)
            .scalar_subquery()
        )
        query = select(collections, size.label("size")).order_by(collections.c.name)
        with self._store.read() as conn:
            return [
                CollectionRow(r.id, r.name, r.origin, r.created_at, r.updated_at, int(r.size))
                for r in conn.execute(query)
            ]

    def collection_states(self) -> dict[int, dict[str, int]]:
        """Each collection's tracks counted by state (``done``, ``failed``, ``pending`` …)."""
        query = (
            select(collection_tracks.c.collection_id, jobs.c.state, func.count())
            .select_from(
                collection_tracks.join(jobs, jobs.c.track_id == collection_tracks.c.track_id)
            )
            .group_by(collection_tracks.c.collection_id, jobs.c.state)
        )
        states: dict[int, dict[str, int]] = {}
        with self._store.read() as conn:
            for collection_id, state, count in conn.execute(query):
                states.setdefault(int(collection_id), {})[str(state)] = int(count)
        return states

    def collection_tracks(self, collection_id: int) -> list[FollowTrack]:
        """The collection's tracks in its order, as a playlist entry needs them."""
        query = entries_query(
            collection_tracks, collection_tracks.c.collection_id == collection_id
        ).order_by(collection_tracks.c.position)
        with self._store.read() as conn:
            return [entry_of(r) for r in conn.execute(query)]


def _track_ids(conn: Connection, keys: Sequence[str]) -> dict[str, int]:
    wanted = sorted(set(keys))
    found: dict[str, int] = {}
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        query = select(tracks.c.key, tracks.c.id).where(tracks.c.key.in_(chunk))
        found.update({row.key: row.id for row in conn.execute(query)})
    return found
