"""The follow diff, in SQL: a poll's ordered keys against the ledger, set-based.

The listing's keys go into a temporary table (one executemany); every other step is one
statement over that table, so a 10,000-item playlist against a 100,000-track ledger costs a
handful of index joins instead of 10,000 Python round trips. Only keys never seen become tracks
with pending jobs; known tracks (done via another playlist or link, pending, or failed) are just
linked to the follow. Failed ones are left alone: retrying is the user's call (``retry``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    bindparam,
    case,
    insert,
    literal,
    or_,
    select,
    update,
)

from spotsyncd.core.models import (
    EPISODE_KEY_PREFIX,
    JobState,
    LinkKind,
    ListedItem,
    Listing,
    TrackMeta,
)
from spotsyncd.ledger.dialects import insert_for, ordered_values, position_of
from spotsyncd.ledger.follows.rows import DiffResult
from spotsyncd.ledger.schema import events, follow_items, follows, jobs, tracks
from spotsyncd.ledger.tracks.jobs import fresh_pending

# Lives in the connection's temp schema, so it is never part of the ledger file. One row
# per listed key, with what the ledger knew about it before this poll.
_listing = Table(
    "follow_listing",
    MetaData(),
    Column("position", Integer, primary_key=True),
    Column("key", String, nullable=False),
    Column("track_id", Integer),  # NULL until the key has a track
    Column("is_new", Integer, nullable=False, default=0),  # this poll created the track
    Column("old_position", Integer),  # NULL: not an item of this follow before
    Column("was_absent", Integer),  # 1: an item of this follow, absent until now
    prefixes=["TEMPORARY"],
)
_CREATE = (
    "CREATE TEMP TABLE IF NOT EXISTS follow_listing (position INTEGER PRIMARY KEY, "
    "key TEXT NOT NULL, track_id INTEGER, is_new INTEGER NOT NULL DEFAULT 0, "
    "old_position INTEGER, was_absent INTEGER)"
)
# Output overrides a follow hands to its tracks; on_removed is the follow's own business.
_FOLLOW_ONLY_OPTIONS = frozenset({"on_removed", "new_only", "keep_last", "since"})


Renamer = Callable[[Connection, int, str], None]


def apply_listing_in(
    conn: Connection, follow_id: int, listing: Listing, *, now: float, rename: Renamer
) -> DiffResult:
    follow = conn.execute(select(follows).where(follows.c.id == follow_id)).one()
    items = _load_keys(conn, follow_id, listing)
    new_keys = _insert_new_tracks(conn, items, follow, now)
    _refresh_episode_addresses(conn, items, set(new_keys))
    by_position = _listing.c.position
    relinked = _keys(
        conn,
        select(_listing.c.key)
        .where(_listing.c.is_new == 0, _listing.c.old_position.is_(None))
        .order_by(by_position),
    )
    returned = _keys(
        conn, select(_listing.c.key).where(_listing.c.was_absent == 1).order_by(by_position)
    )
    listed_ids = select(_listing.c.track_id)
    not_listed = (
        (follow_items.c.follow_id == follow_id)
        & follow_items.c.absent_since.is_(None)
        & follow_items.c.track_id.not_in(listed_ids)
    )
    removed = _keys(
        conn,
        select(tracks.c.key)
        .join(follow_items, follow_items.c.track_id == tracks.c.id)
        .where(not_listed)
        .order_by(follow_items.c.position),
    )
    if relinked or returned:
        _requeue_deleted(conn, now)
    touched = _upsert_items(conn, follow_id, now)
    if removed:
        conn.execute(update(follow_items).where(not_listed).values(absent_since=now))
    diff = DiffResult(
        new=new_keys,
        relinked=relinked,
        removed=removed,
        returned=returned,
        # Rows the upsert wrote beyond the new, relinked and returned ones changed position.
        moved=touched - len(new_keys) - len(relinked) - len(returned),
    )
    values: dict[str, Any] = {
        "fingerprint": listing.fingerprint,
        "title": listing.title or follow.title,
        "last_poll_at": now,
        "next_poll_at": now + follow.interval_s,
        "failures": 0,
        "error_class": None,
        "error": None,
        "backoff_until": None,
    }
    if diff.changed:
        values["last_change_at"] = now
    conn.execute(update(follows).where(follows.c.id == follow_id).values(**values))
    if follow.auto_name and listing.title:
        rename(conn, follow_id, listing.title)
    if diff.changed:
        note = "; ".join(listing.notes)
        conn.execute(
            insert(events).values(
                ts=now,
                follow_id=follow_id,
                level="info",
                kind="follow_changed",
                message=diff.summary() + (f" ({note})" if note else ""),
            )
        )
    conn.execute(_listing.delete())
    return diff


def _load_keys(conn: Connection, follow_id: int, listing: Listing) -> list[ListedItem]:
    """Fill the temp table in ONE statement: the keys go in as a JSON array that the database
    unpacks (SQLite's ``json_each``, PostgreSQL's ``json_array_elements_text``), joined on the
    way in with the track and this follow's item. Returns the listing's items without repeats;
    row ``position`` is the index into that list."""
    first: dict[str, ListedItem] = {}
    for listed in listing.items:
        first.setdefault(listed.link.key, listed)
    items = list(first.values())
    conn.exec_driver_sql(_CREATE)
    conn.execute(_listing.delete())
    entries = ordered_values(conn, [i.link.key for i in items])
    item = follow_items
    conn.execute(
        insert(_listing).from_select(
            ["position", "key", "track_id", "old_position", "was_absent"],
            select(
                position_of(entries),
                entries.c.value,
                tracks.c.id,
                item.c.position,
                case((item.c.absent_since.is_not(None), 1), else_=0),
            ).select_from(
                entries.outerjoin(tracks, tracks.c.key == entries.c.value).outerjoin(
                    item, and_(item.c.follow_id == follow_id, item.c.track_id == tracks.c.id)
                )
            ),
        )
    )
    return items


def _track_id_of(key: Any) -> Any:
    return select(tracks.c.id).where(tracks.c.key == key).scalar_subquery()


def _insert_new_tracks(
    conn: Connection, items: list[ListedItem], follow: Any, now: float
) -> tuple[str, ...]:
    """Tracks and pending jobs for keys the ledger has never seen (add_links' metadata),
    in bulk: a first poll of 10,000 new items is a few statements, not 10,000."""
    unseen = conn.execute(
        select(_listing.c.position, _listing.c.key)
        .where(_listing.c.track_id.is_(None))
        .order_by(_listing.c.position)
    ).all()
    if not unseen:
        return ()
    options = json.loads(follow.options_json) if follow.options_json else {}
    track_options = {k: v for k, v in options.items() if k not in _FOLLOW_ONLY_OPTIONS}
    options_json = json.dumps(track_options, sort_keys=True) if track_options else None
    empty = TrackMeta()
    rows = []
    for position, _key in unseen:
        link, meta = items[position].link, items[position].meta
        rows.append(
            {
                "key": link.key,
                "url": link.url,
                "source": str(link.source),
                "kind": str(link.kind),
                "override_url": link.override_url,
                "title": meta.title,
                "artist": meta.artist,
                "album": meta.album,
                "meta_json": json.dumps(meta.to_dict()) if meta != empty else None,
                "options_json": options_json,
                "created_at": now,
            }
        )
    conn.execute(insert(tracks), rows)
    fresh = _listing.c.track_id.is_(None)
    conn.execute(
        update(_listing).where(fresh).values(is_new=1, track_id=_track_id_of(_listing.c.key))
    )
    is_new = _listing.c.is_new == 1
    conn.execute(
        insert(jobs).from_select(
            ["track_id", "state", "attempts", "updated_at"],
            select(
                _listing.c.track_id, literal(str(JobState.PENDING)), literal(0), literal(now)
            ).where(is_new),
        )
    )
    conn.execute(
        insert(events).from_select(
            ["ts", "track_id", "follow_id", "level", "kind", "message"],
            select(
                literal(now),
                _listing.c.track_id,
                literal(follow.id),
                literal("info"),
                literal("queued"),
                literal(f"queued by follow {follow.name}"),
            ).where(is_new),
        )
    )
    return tuple(key for _position, key in unseen)


def _refresh_episode_addresses(conn: Connection, items: list[ListedItem], new: set[str]) -> None:
    """A podcast episode keeps its key when its feed moves the file (another CDN, a tracking
    redirect); what to fetch is the address the feed gives now (a pending episode would
    otherwise be fetched from the old host)."""
    moved = [
        {"episode": i.link.key, "address": i.link.url}
        for i in items
        if i.link.key.startswith(EPISODE_KEY_PREFIX) and i.link.key not in new
    ]
    if moved:
        conn.execute(
            update(tracks)
            .where(tracks.c.key == bindparam("episode"), tracks.c.url != bindparam("address"))
            .values(url=bindparam("address")),
            moved,
        )


def _keys(conn: Connection, query: Any) -> tuple[str, ...]:
    return tuple(conn.execute(query).scalars())


def _upsert_items(conn: Connection, follow_id: int, now: float) -> int:
    """Insert new items, move or bring back existing ones; rows already right are not read
    again, let alone written."""
    stale = or_(
        _listing.c.old_position.is_(None),
        _listing.c.was_absent == 1,
        _listing.c.old_position != _listing.c.position,
    )
    source = select(
        literal(follow_id),
        _listing.c.track_id,
        _listing.c.position,
        literal(now),
        _listing.c.is_new == 1,
    ).where(stale)  # the WHERE also lets SQLite parse INSERT … SELECT … ON CONFLICT
    statement = insert_for(conn, follow_items).from_select(
        ["follow_id", "track_id", "position", "first_seen", "added_by_follow"], source
    )
    statement = statement.on_conflict_do_update(
        index_elements=[follow_items.c.follow_id, follow_items.c.track_id],
        set_={"position": statement.excluded.position, "absent_since": None},
    )
    # Counted from RETURNING: PostgreSQL's driver reports no rowcount for INSERT … SELECT.
    return len(conn.execute(statement.returning(follow_items.c.track_id)).all())


def _requeue_deleted(conn: Connection, now: float) -> None:
    """A done track whose file ``on_removed: delete`` removed is wanted again (relinked or
    back in this follow): queue it again."""
    wanted_again = (
        select(_listing.c.track_id)
        .join(tracks, tracks.c.id == _listing.c.track_id)
        .where(_listing.c.is_new == 0)
        .where(or_(_listing.c.old_position.is_(None), _listing.c.was_absent == 1))
        .where(tracks.c.path.is_(None), tracks.c.kind != str(LinkKind.COLLECTION))
    )
    conn.execute(
        update(jobs)
        .where(jobs.c.state == JobState.DONE, jobs.c.track_id.in_(wanted_again))
        .values(**fresh_pending(now))
    )
