"""Follows: playlists, albums, channels and feeds the daemon keeps in sync.

A follow's items live in ``follow_items`` (one row per track, in the source's order). Items the
source stopped listing keep their row with ``absent_since`` set: nothing is forgotten, and a track
that comes back is simply marked present again. The diff itself is in ``diff``; which of
a follow's files may be deleted is ``files``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import and_, case, func, insert, or_, select, update

from spotsyncd.core.errors import UserError
from spotsyncd.core.models import EPISODE_KEY_PREFIX, JobState, Link, Listing
from spotsyncd.ledger.base import Store
from spotsyncd.ledger.follows.diff import apply_listing_in
from spotsyncd.ledger.follows.rows import (
    DiffResult,
    FollowRow,
    FollowTrack,
    clean_follow_name,
    default_follow_name,
    entries_query,
    entry_of,
    row_to_follow,
)
from spotsyncd.ledger.schema import follow_items, follows, jobs, tracks
from spotsyncd.ledger.tracks.event_log import EventLog

if TYPE_CHECKING:
    from sqlalchemy import Connection

Origin = Literal["cli", "config", "inbox"]

__all__ = ["DiffResult", "FollowRow", "FollowTrack", "Follows", "Origin", "default_follow_name"]


def _unique_name(conn: Connection, wanted: str, follow_id: int | None) -> str:
    taken = set(
        conn.execute(select(follows.c.name).where(follows.c.id != (follow_id or -1))).scalars()
    )
    name, number = wanted, 2
    while name in taken:
        name, number = f"{wanted} ({number})", number + 1
    return name


def _counts_subquery() -> Any:
    present = follow_items.c.absent_since.is_(None)

    def count_where(condition: Any) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    return (
        select(
            follow_items.c.follow_id,
            count_where(present).label("known"),
            count_where(and_(present, jobs.c.state == JobState.DONE)).label("done"),
            count_where(and_(present, jobs.c.state == JobState.FAILED)).label("failed"),
            count_where(~present).label("absent"),
            count_where(tracks.c.key.startswith(EPISODE_KEY_PREFIX)).label("episodes"),
        )
        .join(jobs, jobs.c.track_id == follow_items.c.track_id)
        .join(tracks, tracks.c.id == follow_items.c.track_id)
        .group_by(follow_items.c.follow_id)
        .subquery()
    )


class Follows:
    """Follows, their polls and their items (the diff itself is ``diff``; their files,
    as pruning sees them, are ``files.FollowFiles``)."""

    def __init__(self, store: Store, events: EventLog) -> None:
        self._store = store
        self._events = events

    def add_follow(
        self,
        link: Link,
        *,
        name: str | None,
        interval_s: int,
        options: dict[str, Any],
        origin: Origin,
    ) -> FollowRow:
        """Follow ``link``, or update the follow that already has its key (one row per key,
        whichever of config, CLI and inbox asked). A CLI follow outlives its config entry."""
        now = time.time()
        wanted = clean_follow_name(name) if name else None
        options_json = json.dumps(options, sort_keys=True) if options else None
        with self._store.write() as conn:
            row = conn.execute(select(follows).where(follows.c.key == link.key)).first()
            follow_id = row.id if row is not None else None
            if wanted is not None:
                holder = conn.execute(
                    select(follows.c.key).where(follows.c.name == wanted)
                ).scalar()
                if holder is not None and holder != link.key:
                    raise UserError(
                        f"a follow named {wanted!r} already exists ({holder}); "
                        "choose another name with --name"
                    )
            if row is None:
                auto = wanted is None
                follow_id = conn.execute(
                    insert(follows).values(
                        name=wanted or _unique_name(conn, default_follow_name(link.key), None),
                        auto_name=auto,
                        key=link.key,
                        url=link.url,
                        source=str(link.source),
                        interval_s=interval_s,
                        options_json=options_json,
                        origin=origin,
                        created_at=now,
                        next_poll_at=now,
                        failures=0,
                    )
                ).inserted_primary_key[0]  # type: ignore[index]
            else:
                values: dict[str, Any] = {"interval_s": interval_s, "options_json": options_json}
                if wanted is not None:
                    values.update(name=wanted, auto_name=False)
                if origin == "cli":
                    values["origin"] = "cli"
                conn.execute(update(follows).where(follows.c.id == follow_id).values(**values))
            return self._follow_where(conn, follows.c.id == follow_id)[0]

    def remove_follow(self, key_or_name: str) -> bool:
        """Stop following. Tracks and files stay; only the follow and its item rows go."""
        with self._store.write() as conn:
            result = conn.execute(follows.delete().where(self._matches(key_or_name)))
            return bool(result.rowcount)

    def set_interval(self, key_or_name: str, interval_s: int) -> FollowRow | None:
        """Poll this follow every ``interval_s`` from now on; its next poll moves to
        ``last poll + interval`` (now at the earliest)."""
        now = time.time()
        with self._store.write() as conn:
            row = conn.execute(select(follows).where(self._matches(key_or_name))).first()
            if row is None:
                return None
            next_at = max(now, (row.last_poll_at or now) + interval_s)
            conn.execute(
                update(follows)
                .where(follows.c.id == row.id)
                .values(interval_s=interval_s, next_poll_at=next_at)
            )
            return self._follow_where(conn, follows.c.id == row.id)[0]

    def follows(self) -> list[FollowRow]:
        with self._store.read() as conn:
            return self._follow_where(conn, None)

    def follow(self, key_or_name: str) -> FollowRow | None:
        with self._store.read() as conn:
            found = self._follow_where(conn, self._matches(key_or_name))
        return found[0] if found else None

    def follow_by_id(self, follow_id: int) -> FollowRow | None:
        with self._store.read() as conn:
            found = self._follow_where(conn, follows.c.id == follow_id)
        return found[0] if found else None

    def due_follows(self, now: float) -> list[FollowRow]:
        """Follows whose next poll time has come and that are not backing off."""
        due = and_(
            func.coalesce(follows.c.next_poll_at, 0) <= now,
            func.coalesce(follows.c.backoff_until, 0) <= now,
        )
        with self._store.read() as conn:
            return self._follow_where(conn, due)

    @staticmethod
    def _matches(key_or_name: str) -> Any:
        return or_(
            follows.c.name == key_or_name,
            follows.c.key == key_or_name,
            follows.c.url == key_or_name,
        )

    @staticmethod
    def _follow_where(conn: Connection, condition: Any) -> list[FollowRow]:
        counts = _counts_subquery()
        query = (
            select(
                follows,
                counts.c.known,
                counts.c.done,
                counts.c.failed,
                counts.c.absent,
                counts.c.episodes,
            )
            .select_from(follows.outerjoin(counts, counts.c.follow_id == follows.c.id))
            .order_by(follows.c.name)
        )
        if condition is not None:
            query = query.where(condition)
        return [row_to_follow(r) for r in conn.execute(query)]

    # ------------------------------------------------------------------ polls

    def apply_listing(self, follow_id: int, listing: Listing, *, now: float) -> DiffResult:
        """Record what the source lists now; new keys become tracks with pending jobs."""
        with self._store.write() as conn:
            diff = apply_listing_in(conn, follow_id, listing, now=now, rename=_rename)
            if diff.new:  # one event per poll (notifications read it), not one per track
                names = {i.link.key: i.meta.title for i in listing.items if i.meta.title}
                named = [names.get(key) or key for key in diff.new[:5]]
                shown = ", ".join(named) + (", …" if len(diff.new) > 5 else "")
                self._events.record(
                    conn, None, "info", "new_tracks", f"{len(diff.new)} new: {shown}", follow_id
                )
            return diff

    def set_aside(self, keys: Sequence[str], why: str) -> int:
        """Pending jobs of ``keys`` that are not wanted now (a ``--new-only`` follow's first
        poll, a podcast's back catalogue): ``skipped`` with ``why``, which ``retry KEY`` fetches."""
        now = time.time()
        with self._store.write() as conn:
            ids = [
                row.id
                for row in conn.execute(
                    select(tracks.c.id)
                    .join(jobs, jobs.c.track_id == tracks.c.id)
                    .where(tracks.c.key.in_(list(keys)), jobs.c.state == JobState.PENDING)
                )
            ]
            if ids:
                conn.execute(
                    update(jobs)
                    .where(jobs.c.track_id.in_(ids))
                    .values(state=JobState.SKIPPED, error_class="set_aside", error=why,
                            updated_at=now, retry_at=None)
                )  # fmt: skip
                for track_id in ids:
                    self._events.record(conn, track_id, "info", "set_aside", why)
            return len(ids)

    def record_poll_unchanged(self, follow_id: int, now: float) -> None:
        with self._store.write() as conn:
            conn.execute(
                update(follows)
                .where(follows.c.id == follow_id)
                .values(
                    last_poll_at=now,
                    next_poll_at=now + follows.c.interval_s,
                    failures=0,
                    error_class=None,
                    error=None,
                    backoff_until=None,
                )
            )

    def record_poll_error(
        self,
        follow_id: int,
        error_class: str,
        message: str,
        backoff_until: float,
    ) -> None:
        """Count a failed poll; the follow is not polled again before ``backoff_until``."""
        with self._store.write() as conn:
            conn.execute(
                update(follows)
                .where(follows.c.id == follow_id)
                .values(
                    failures=follows.c.failures + 1,
                    error_class=error_class,
                    error=message[:4000],
                    backoff_until=backoff_until,
                    next_poll_at=backoff_until,
                )
            )
            self._events.record(
                conn, None, "warning", "poll_failed", f"{error_class}: {message}", follow_id
            )

    # ------------------------------------------------------------------ items

    def follow_tracks(self, follow_id: int, *, include_absent: bool = False) -> list[FollowTrack]:
        query = entries_query(
            follow_items, follow_items.c.follow_id == follow_id, follow_items.c.absent_since
        ).order_by(follow_items.c.absent_since.is_not(None), follow_items.c.position)
        if not include_absent:
            query = query.where(follow_items.c.absent_since.is_(None))
        with self._store.read() as conn:
            return [entry_of(r) for r in conn.execute(query)]


def _rename(conn: Connection, follow_id: int, title: str) -> None:
    """Give an automatically named follow its source's title (first poll that knows it)."""
    wanted = clean_follow_name(title)
    if wanted:
        conn.execute(
            update(follows)
            .where(follows.c.id == follow_id)
            .values(name=_unique_name(conn, wanted, follow_id), auto_name=False)
        )
