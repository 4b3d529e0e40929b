"""What the follow queries return: follows with their counts, and their items."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, Table, select

from spotsyncd.core.models import JobState, Source
from spotsyncd.ledger.schema import jobs, tracks

MAX_NAME_CHARS = 100


@dataclass(frozen=True)
class FollowRow:
    """A follow with its poll state and how many of its tracks are where."""

    id: int
    name: str
    key: str
    url: str
    source: Source
    interval_s: int
    options: dict[str, Any]
    origin: str
    title: str | None
    created_at: float
    last_poll_at: float | None
    last_change_at: float | None
    next_poll_at: float | None
    fingerprint: str | None
    failures: int
    error_class: str | None
    error: str | None
    backoff_until: float | None
    tracks_known: int  # listed by the source at the last poll
    tracks_done: int
    tracks_failed: int
    tracks_absent: int  # no longer listed; kept (``absent since``)
    episodes: int = 0  # of its items, podcast episodes (a feed read as a podcast)

    @property
    def kind(self) -> str:
        """What is followed, for people: ``spotify playlist``, ``youtube channel``, ``podcast``…"""
        parts = self.key.split(":")
        if parts[0] == "spotify":
            return "spotify liked songs" if parts[1] == "liked" else f"spotify {parts[1]}"
        if parts[0] == "youtube":
            return f"youtube {parts[1]}" if len(parts) > 2 else "youtube"
        if self.episodes:
            return "podcast"
        return "list"  # feed, set, anything else yt-dlp lists

    @property
    def on_removed(self) -> str:
        return str(self.options.get("on_removed") or "keep")

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "url": self.url,
            "key": self.key,
            "title": self.title,
            "interval_s": self.interval_s,
            "options": self.options,
            "origin": self.origin,
            "last_poll_at": self.last_poll_at,
            "last_change_at": self.last_change_at,
            "next_poll_at": self.next_poll_at,
            "tracks": {
                "known": self.tracks_known,
                "done": self.tracks_done,
                "failed": self.tracks_failed,
                "absent": self.tracks_absent,
            },
            "failures": self.failures,
            "error_class": self.error_class,
            "error": self.error,
            "backoff_until": self.backoff_until,
        }


@dataclass(frozen=True)
class FollowTrack:
    """One item of a follow, in the follow's order (what an m3u8 entry needs)."""

    track_id: int
    key: str
    path: str | None  # relative to the library, posix separators
    duration_s: float | None
    artist: str | None
    title: str | None
    state: JobState
    absent_since: float | None
    url: str = ""  # the link, for a name until its metadata arrives


def entries_query(
    items: Table, owner: ColumnElement[bool], *extra: ColumnElement[Any]
) -> Select[Any]:
    """The tracks an ordered list holds (a follow's ``follow_items``, a collection's
    ``collection_tracks``; ``owner`` picks the list), with what a playlist entry needs."""
    return (
        select(
            tracks.c.id,
            tracks.c.key,
            tracks.c.path,
            tracks.c.duration_s,
            tracks.c.artist,
            tracks.c.title,
            tracks.c.url,
            jobs.c.state,
            *extra,
        )  # fmt: skip
        .select_from(
            items.join(tracks, tracks.c.id == items.c.track_id).join(
                jobs, jobs.c.track_id == tracks.c.id
            )
        )
        .where(owner)
    )


def entry_of(row: Row[Any]) -> FollowTrack:
    """An ``entries_query`` row (``absent_since`` only when the list has it)."""
    return FollowTrack(row.id, row.key, row.path, row.duration_s, row.artist, row.title,
                       JobState(row.state), getattr(row, "absent_since", None),
                       row.url or "")  # fmt: skip


def default_follow_name(key: str) -> str:
    """A readable name from a follow's key until its source tells us the title."""
    if key == "spotify:liked":
        return "Liked Songs"
    text = key.removeprefix("url:").split("://", 1)[-1]
    return re.sub(r"[^\w@.]+", "-", text).strip("-.")[:MAX_NAME_CHARS] or "follow"


def clean_follow_name(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[\x00-\x1f\x7f]", "", text)).strip()[:MAX_NAME_CHARS]


def row_to_follow(row: Any) -> FollowRow:
    return FollowRow(
        id=row.id,
        name=row.name,
        key=row.key,
        url=row.url,
        source=Source(row.source),
        interval_s=row.interval_s,
        options=json.loads(row.options_json) if row.options_json else {},
        origin=row.origin,
        title=row.title,
        created_at=row.created_at,
        last_poll_at=row.last_poll_at,
        last_change_at=row.last_change_at,
        next_poll_at=row.next_poll_at,
        fingerprint=row.fingerprint,
        failures=row.failures,
        error_class=row.error_class,
        error=row.error,
        backoff_until=row.backoff_until,
        tracks_known=int(row.known or 0),
        tracks_done=int(row.done or 0),
        tracks_failed=int(row.failed or 0),
        tracks_absent=int(row.absent or 0),
        episodes=int(row.episodes or 0),
    )


@dataclass(frozen=True)
class DiffResult:
    """What a poll changed, as keys in listing order (removed: in the follow's old order)."""

    new: tuple[str, ...] = ()  # never seen before: new tracks with pending jobs
    relinked: tuple[str, ...] = ()  # known tracks (maybe done elsewhere) now in this follow
    removed: tuple[str, ...] = ()  # no longer listed: marked absent, kept
    returned: tuple[str, ...] = ()  # listed again after being absent
    moved: int = 0  # items still listed at another position (an insert above shifts them too)

    @property
    def changed(self) -> bool:
        return bool(self.new or self.relinked or self.removed or self.returned or self.moved)

    def summary(self) -> str:
        parts = [
            f"{len(self.new)} new",
            f"{len(self.relinked)} already known",
            f"{len(self.removed)} removed",
            f"{len(self.returned)} back",
        ]
        return ", ".join(parts) + (f", {self.moved} moved" if self.moved else "")
