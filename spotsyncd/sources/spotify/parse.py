"""Spotify Web API JSON (2024 and 2026 shapes) as our models: pure functions, no I/O."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from spotsyncd.core.models import Link, LinkKind, ListedItem, Listing, Source, TrackMeta
from spotsyncd.sources.spotify.embed import largest_image_url


def track_meta(track: dict[str, Any], album: dict[str, Any] | None = None) -> TrackMeta:
    """A Web API track (full, or simplified plus its album object) as TrackMeta."""
    album = album if album is not None else (track.get("album") or {})
    album_artists = _names(album.get("artists"))
    track_id = to_text(track.get("id"))
    return TrackMeta(
        title=to_text(track.get("name")),
        artists=_names(track.get("artists")),
        album=to_text(album.get("name")),
        album_artist=", ".join(album_artists) or None,
        track_number=to_int(track.get("track_number")),
        track_total=to_int(album.get("total_tracks")),
        disc_number=to_int(track.get("disc_number")),
        date=_release_date(album.get("release_date")),
        isrc=to_text((track.get("external_ids") or {}).get("isrc")),
        duration_s=(to_int(track.get("duration_ms")) or 0) / 1000.0 or None,
        explicit=track.get("explicit") if isinstance(track.get("explicit"), bool) else None,
        source_url=f"https://open.spotify.com/track/{track_id}" if track_id else None,
        cover_url=largest_image_url(album.get("images") or []),
    )


def entries_to_items(entries: list[Any]) -> list[ListedItem]:
    """Playlist/Liked entries (``item`` since 2026, ``track`` before) that are real tracks."""
    items = []
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("is_local"):
            continue
        track = entry.get("item") or entry.get("track")
        if not isinstance(track, dict) or track.get("is_local") or track.get("type") != "track":
            continue  # a removed track (null), a local file or a podcast episode
        track_id = to_text(track.get("id"))
        if track_id and to_text(track.get("name")):  # unavailable tracks come back nameless
            items.append(listed_item(track_id, track_meta(track)))
    return items


def listed_item(track_id: str, meta: TrackMeta) -> ListedItem:
    url = f"https://open.spotify.com/track/{track_id}"
    link = Link(
        key=f"spotify:track:{track_id}", url=url, source=Source.SPOTIFY, kind=LinkKind.TRACK
    )
    return ListedItem(link=link, meta=meta)


def listing(
    title: str | None,
    items: list[ListedItem],
    snapshot: str | None,
    notes: tuple[str, ...] = (),
    *,
    images: Any = None,
) -> Listing:
    """``images``: the collection's ``images`` array (the largest becomes its artwork)."""
    keys = "\n".join(item.link.key for item in items)
    fingerprint = snapshot or hashlib.sha256(keys.encode()).hexdigest()
    image_url = largest_image_url(images) if isinstance(images, list) else None
    return Listing(
        title=title, items=tuple(items), fingerprint=fingerprint, notes=notes, image_url=image_url
    )


def _release_date(value: Any) -> str | None:
    text = to_text(value)
    if not text or not re.fullmatch(r"\d{4}(-\d{2}){0,2}", text) or text.startswith("0000"):
        return None
    return text


def _names(artists: Any) -> tuple[str, ...]:
    if not isinstance(artists, list):
        return ()
    return tuple(n for a in artists if isinstance(a, dict) and (n := to_text(a.get("name"))))


def to_text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def to_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
