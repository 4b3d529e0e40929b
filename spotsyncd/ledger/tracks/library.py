"""Reads for the dashboard's library and activity pages: filed tracks grouped into albums and
artists, sorted pages of filed tracks, and the event log newest first with filters."""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, func, or_, select

from spotsyncd.core.models import JobState
from spotsyncd.ledger.base import Store
from spotsyncd.ledger.rows import TRACK_COLUMNS, TrackRow, row_to_track
from spotsyncd.ledger.schema import events, follows, jobs, tracks
from spotsyncd.ledger.tracks.event_log import described_events

TrackSort = Literal["added", "title", "artist", "album"]
AlbumSort = Literal["added", "album", "artist"]
MAX_PAGE = 500


def _like(query: str) -> str:
    escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _matching(query: str | None, *columns: Any) -> ColumnElement[bool] | None:
    if not query:
        return None
    pattern = _like(query)
    return or_(*(column.ilike(pattern, escape="\\") for column in columns))


# A track with no album tag is filed under Singles (media/library.py): the library shows it so.
_ARTIST = func.coalesce(tracks.c.artist, "")
_ALBUM = func.coalesce(tracks.c.album, "")


class Library:
    def __init__(self, store: Store) -> None:
        self._store = store

    def albums(
        self,
        *,
        query: str | None = None,
        sort: AlbumSort = "album",
        descending: bool = False,
        offset: int = 0,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Filed tracks grouped by (artist, album): how many, when last added, and the key of
        one track of each (its cover stands for the album's); ``offset``/``limit`` page in SQL.

        Ties (two albums of one name by different artists, the same "added" time) are broken
        by the other name and then by the exact (artist, album) group key, so the order is
        total and a page boundary never skips or repeats an album."""
        added = func.max(tracks.c.done_at)
        stmt = (
            select(
                _ARTIST.label("artist"),
                _ALBUM.label("album"),
                func.count().label("tracks"),
                added.label("added_at"),
                func.min(tracks.c.key).label("cover_key"),
            )
            .join(jobs, jobs.c.track_id == tracks.c.id)
            .where(jobs.c.state == JobState.DONE, tracks.c.path.is_not(None))
            .group_by(_ARTIST, _ALBUM)
        )
        where = _matching(query, tracks.c.title, tracks.c.artist, tracks.c.album)
        if where is not None:
            stmt = stmt.where(where)
        first = {"added": added, "album": func.lower(_ALBUM), "artist": func.lower(_ARTIST)}[sort]
        ties = (func.lower(_ALBUM), func.lower(_ARTIST), _ALBUM, _ARTIST)
        stmt = stmt.order_by(first.desc() if descending else first.asc(), *ties)
        return self._page(stmt, offset, limit)

    def artists(
        self, *, query: str | None = None, offset: int = 0, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """Artists of filed tracks with how many tracks and albums each, by name (ties, names
        that differ only in case, by the exact name); ``offset``/``limit`` page in SQL."""
        stmt = (
            select(
                _ARTIST.label("artist"),
                func.count().label("tracks"),
                func.count(func.distinct(_ALBUM)).label("albums"),
                func.min(tracks.c.key).label("cover_key"),
            )
            .join(jobs, jobs.c.track_id == tracks.c.id)
            .where(jobs.c.state == JobState.DONE, tracks.c.path.is_not(None))
            .group_by(_ARTIST)
            .order_by(func.lower(_ARTIST), _ARTIST)
        )
        where = _matching(query, tracks.c.artist)
        if where is not None:
            stmt = stmt.where(where)
        return self._page(stmt, offset, limit)

    def _page(
        self, stmt: Select[*tuple[Any, ...]], offset: int, limit: int | None
    ) -> list[dict[str, Any]]:
        """Rows ``offset`` to ``offset + limit`` of a grouped read (every row without a limit)."""
        if offset > 0:
            stmt = stmt.offset(offset)
        if limit is not None:
            stmt = stmt.limit(max(1, limit))
        with self._store.read() as conn:
            return [dict(r._mapping) for r in conn.execute(stmt)]

    def filed_page(
        self,
        *,
        query: str | None = None,
        sort: TrackSort = "added",
        descending: bool = False,
        artist: str | None = None,
        album: str | None = None,
        offset: int = 0,
        limit: int = 100,
    ) -> list[TrackRow]:
        """Filed tracks sorted by title, artist, album or when added (ties by id), optionally
        of one artist and/or album ("" for none); ``offset`` pages."""
        stmt = (
            select(*TRACK_COLUMNS)
            .join(jobs, jobs.c.track_id == tracks.c.id)
            .where(jobs.c.state == JobState.DONE, tracks.c.path.is_not(None))
        )
        where = _matching(query, tracks.c.title, tracks.c.artist, tracks.c.album)
        if where is not None:
            stmt = stmt.where(where)
        if artist is not None:
            stmt = stmt.where(_ARTIST == artist)  # noqa: SIM300
        if album is not None:
            stmt = stmt.where(_ALBUM == album)  # noqa: SIM300
        column = {
            "added": tracks.c.done_at,
            "title": func.lower(func.coalesce(tracks.c.title, tracks.c.key)),
            "artist": func.lower(_ARTIST),
            "album": func.lower(_ALBUM),
        }[sort]
        ties = tracks.c.id.desc() if descending else tracks.c.id.asc()
        stmt = stmt.order_by(column.desc() if descending else column.asc(), ties)
        stmt = stmt.offset(max(0, offset)).limit(max(1, min(limit, MAX_PAGE)))
        with self._store.read() as conn:
            return [row_to_track(r) for r in conn.execute(stmt)]

    def events_page(
        self,
        *,
        before_id: int = 0,
        level: str | None = None,
        kind: str | None = None,
        query: str | None = None,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        """The event log newest first (ids below ``before_id``, when given), of one level or
        kind, or with ``query`` in its message, track or follow."""
        stmt = described_events()
        if before_id:
            stmt = stmt.where(events.c.id < before_id)
        if level:
            stmt = stmt.where(events.c.level == level)
        if kind:
            stmt = stmt.where(events.c.kind == kind)
        where = _matching(
            query, events.c.message, tracks.c.key, tracks.c.title, tracks.c.artist, follows.c.name
        )
        if where is not None:
            stmt = stmt.where(where)
        stmt = stmt.order_by(events.c.id.desc()).limit(max(1, min(limit, MAX_PAGE)))
        with self._store.read() as conn:
            return [dict(r._mapping) for r in conn.execute(stmt)]

    def event_kinds(self) -> list[str]:
        with self._store.read() as conn:
            return sorted(conn.execute(select(events.c.kind).distinct()).scalars())
