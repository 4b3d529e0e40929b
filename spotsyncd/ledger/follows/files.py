"""FollowFiles: which of a follow's filed tracks may be deleted, and forgetting a deleted file.

Pruning (``follows.pruning``) asks here: tracks a follow with ``on_removed: delete`` dropped, and
episodes beyond a feed's ``keep_last``. A file goes only when a follow created its track and
nothing else wants it (another follow, an inbox line, ``add``, a collection or an imported
playlist). The follows themselves, their polls and their items are ``registry.Follows``'.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import exists, func, or_, select, update

from spotsyncd.core.models import JobState
from spotsyncd.ledger.base import Store
from spotsyncd.ledger.dialects import json_text
from spotsyncd.ledger.schema import (
    collection_items,
    collection_tracks,
    follow_items,
    follows,
    inbox_lines,
    jobs,
    tracks,
)
from spotsyncd.ledger.tracks.event_log import EventLog

__all__ = ["FollowFiles"]


class FollowFiles:
    """The files of a follow's tracks that pruning may delete, and forgetting one it did."""

    def __init__(self, store: Store, events: EventLog) -> None:
        self._store = store
        self._events = events

    def removable_files(self, follow_id: int) -> list[tuple[int, str]]:
        """Files of tracks this follow (``on_removed: delete``) dropped that nothing else
        wants: a follow created the track (no inbox line, CLI add, album or imported playlist
        asked first)
        and every other follow that knows it has dropped it too with ``on_removed: delete``."""
        other = follow_items.alias("other")
        other_follow = follows.alias("other_follow")
        deletes = exists().where(follows.c.id == follow_id, _on_removed(follows) == "delete")
        other_keeps = exists().where(
            other.c.track_id == follow_items.c.track_id,
            other.c.follow_id != follow_id,
            other_follow.c.id == other.c.follow_id,
            or_(
                other.c.absent_since.is_(None),
                _on_removed(other_follow) != "delete",
            ),
        )
        created_by_a_follow = exists().where(
            other.c.track_id == follow_items.c.track_id, other.c.added_by_follow.is_(True)
        )
        query = (
            select(tracks.c.id, tracks.c.path)
            .select_from(
                follow_items.join(tracks, tracks.c.id == follow_items.c.track_id).join(
                    jobs, jobs.c.track_id == tracks.c.id
                )
            )
            .where(
                deletes,
                follow_items.c.follow_id == follow_id,
                follow_items.c.absent_since.is_not(None),
                tracks.c.path.is_not(None),
                jobs.c.state == JobState.DONE,
                created_by_a_follow,
                ~other_keeps,
                ~exists().where(inbox_lines.c.track_id == tracks.c.id),
                ~exists().where(collection_items.c.child_id == tracks.c.id),
                ~exists().where(collection_tracks.c.track_id == tracks.c.id),
            )
            .order_by(follow_items.c.position)
        )
        with self._store.read() as conn:
            return [(int(r.id), str(r.path)) for r in conn.execute(query)]

    def expendable_files(self, follow_id: int, keys: Sequence[str]) -> list[tuple[int, str, str]]:
        """(track id, path, key) of the filed tracks among ``keys`` that only this follow wants:
        a follow created the track, no other follow lists it, and no inbox line, ``add``,
        dropped collection or imported playlist asked for it (a feed's ``keep_last`` removes
        those files)."""
        if not keys:
            return []
        other = follow_items.alias("other")
        other_lists = exists().where(
            other.c.track_id == follow_items.c.track_id,
            other.c.follow_id != follow_id,
            other.c.absent_since.is_(None),
        )
        created_by_a_follow = exists().where(
            other.c.track_id == follow_items.c.track_id, other.c.added_by_follow.is_(True)
        )
        query = (
            select(tracks.c.id, tracks.c.path, tracks.c.key)
            .select_from(
                follow_items.join(tracks, tracks.c.id == follow_items.c.track_id).join(
                    jobs, jobs.c.track_id == tracks.c.id
                )
            )
            .where(
                follow_items.c.follow_id == follow_id,
                tracks.c.key.in_(list(keys)),
                tracks.c.path.is_not(None),
                jobs.c.state == JobState.DONE,
                created_by_a_follow,
                ~other_lists,
                ~exists().where(inbox_lines.c.track_id == tracks.c.id),
                ~exists().where(collection_items.c.child_id == tracks.c.id),
                ~exists().where(collection_tracks.c.track_id == tracks.c.id),
            )
            .order_by(follow_items.c.position)
        )
        with self._store.read() as conn:
            return [(int(r.id), str(r.path), str(r.key)) for r in conn.execute(query)]

    def forget_file(self, track_id: int, why: str = "no follow lists it") -> None:
        """The track's file was deleted: the track stays known (done), without a file. If a
        follow lists it again, ``apply_listing`` queues it again."""
        with self._store.write() as conn:
            path = conn.execute(select(tracks.c.path).where(tracks.c.id == track_id)).scalar()
            conn.execute(
                update(tracks).where(tracks.c.id == track_id).values(path=None, size_bytes=None)
            )
            self._events.record(conn, track_id, "info", "file_deleted", f"deleted {path}: {why}")


def _on_removed(follow_table: Any) -> Any:
    return func.coalesce(json_text(follow_table.c.options_json, "on_removed"), "keep")
