"""Spotify's public embed page, parsed: metadata without any credentials.

``https://open.spotify.com/embed/{track|album|playlist}/{id}`` is a Next.js page whose
``<script id="__NEXT_DATA__" type="application/json">`` holds the entity under
``props.pageProps.state.data.entity``. It has no album name or ISRC per track and lists at most
~100 tracks. An unknown ID still answers HTTP 200, but without ``state``: branch on that, not on
the status code. The page also carries an anonymous access token (``state.settings``); we never
read or log it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from spotsyncd.core.models import TrackMeta

EMBED_NOTE = "embed page: no album/ISRC; at most ~100 tracks"
EMBED_MAX_TRACKS = 100

_NEXT_DATA = re.compile(
    r'<script[^>]*\bid="__NEXT_DATA__"[^>]*>(?P<json>.*?)</script>', re.DOTALL | re.IGNORECASE
)


class EmbedPageError(ValueError):
    """The page is not an embed page we understand, or the entity does not exist."""


@dataclass(frozen=True)
class EmbedTrack:
    track_id: str
    meta: TrackMeta


@dataclass(frozen=True)
class EmbedEntity:
    kind: str  # "track", "album" or "playlist"
    entity_id: str | None
    name: str | None
    meta: TrackMeta  # the entity itself (for a track: the track; else album-level facts)
    tracks: tuple[EmbedTrack, ...]
    listed: int = 0  # rows the page listed (episodes and local files included)
    owner: str | None = None  # a playlist's owner as the page names it ("Spotify"…)


def parse_embed_page(page: str) -> EmbedEntity:
    """The entity of an embed page. Raises EmbedPageError when there is none."""
    match = _NEXT_DATA.search(page)
    if match is None:
        raise EmbedPageError("no __NEXT_DATA__ script in the page (page format changed?)")
    try:
        data = json.loads(match.group("json"))
    except json.JSONDecodeError as exc:
        raise EmbedPageError(f"__NEXT_DATA__ is not JSON: {exc.msg}") from None
    page_props = _dict(_dict(data.get("props")).get("pageProps"))
    if "state" not in page_props:
        status = page_props.get("status")
        raise EmbedPageError(f"Spotify has no such item (embed page status {status})")
    entity = _dict(_dict(_dict(page_props["state"]).get("data")).get("entity"))
    if not entity:
        raise EmbedPageError("embed page has no entity")
    kind = str(entity.get("type") or "")
    name = _text(entity.get("name")) or _text(entity.get("title"))
    entity_id = _text(entity.get("id")) or _id_from_uri(entity.get("uri"))
    artists = tuple(
        n for a in entity.get("artists") or [] if (n := _text(_dict(a).get("name"))) is not None
    )
    cover = largest_image_url(_images(entity))
    date = _iso_date(_dict(entity.get("releaseDate")).get("isoString"))
    if kind == "track":
        meta = TrackMeta(
            title=name,
            artists=artists,
            date=date,
            duration_s=_seconds(entity.get("duration")),
            explicit=_bool(entity.get("isExplicit")),
            source_url=f"https://open.spotify.com/track/{entity_id}" if entity_id else None,
            cover_url=cover,
        )
        return EmbedEntity(kind, entity_id, name, meta, ())
    album_artist = ", ".join(artists) if artists else _text(entity.get("subtitle"))
    # Album-level facts belong to every track of an album, never to a playlist's tracks.
    shared = (
        TrackMeta(album=name, album_artist=album_artist, date=date, cover_url=cover)
        if kind == "album"
        else TrackMeta()
    )
    tracks: list[EmbedTrack] = []
    for row in entity.get("trackList") or []:
        track = _track_row(_dict(row), len(tracks) + 1, shared)
        if track is not None:
            tracks.append(track)
    album_meta = TrackMeta(
        album=shared.album, album_artist=album_artist, date=date, cover_url=cover
    )
    listed = len(entity.get("trackList") or [])
    owner = _text(entity.get("subtitle")) if kind == "playlist" else None
    return EmbedEntity(
        kind, entity_id, name, album_meta, tuple(tracks[:EMBED_MAX_TRACKS]), listed, owner
    )


def _track_row(row: dict[str, Any], position: int, shared: TrackMeta) -> EmbedTrack | None:
    uri = _text(row.get("uri")) or ""
    parts = uri.split(":")
    # Episodes and local files are not tracks we can download by key.
    if len(parts) != 3 or parts[:2] != ["spotify", "track"] or row.get("entityType") == "episode":
        return None
    subtitle = _text(row.get("subtitle")) or ""
    # The embed joins artists with ", " (a no-break space sometimes sneaks in).
    artists = tuple(a.strip() for a in subtitle.replace("\u00a0", " ").split(",") if a.strip())
    meta = TrackMeta(
        title=_text(row.get("title")),
        artists=artists,
        # An album's embed lists its tracks in album order, so the position is the number.
        track_number=position if shared.album else None,
        duration_s=_seconds(row.get("duration")),
        explicit=_bool(row.get("isExplicit")),
        source_url=f"https://open.spotify.com/track/{parts[2]}",
    )
    return EmbedTrack(parts[2], meta.merged_over(shared))


def largest_image_url(images: list[dict[str, Any]]) -> str | None:
    """The URL of the biggest image; unknown sizes count as 0, so any sized one wins."""
    best: tuple[int, str] | None = None
    for image in images:
        url = _text(image.get("url"))
        if not url:
            continue
        width = image.get("width") or image.get("maxWidth") or 0
        height = image.get("height") or image.get("maxHeight") or 0
        area = int(width) * int(height) if isinstance(width, int) and isinstance(height, int) else 0
        if best is None or area > best[0]:
            best = (area, url)
    return best[1] if best else None


def _images(entity: dict[str, Any]) -> list[dict[str, Any]]:
    sources = list(_dict(entity.get("coverArt")).get("sources") or [])
    sources.extend(_dict(entity.get("visualIdentity")).get("image") or [])
    return [_dict(s) for s in sources]


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _seconds(millis: Any) -> float | None:
    if isinstance(millis, int | float) and not isinstance(millis, bool) and millis > 0:
        return millis / 1000.0
    return None


def _iso_date(value: Any) -> str | None:
    text = _text(value)
    return text[:10] if text and re.match(r"\d{4}-\d{2}-\d{2}", text) else None


def _id_from_uri(uri: Any) -> str | None:
    text = _text(uri)
    return text.rsplit(":", 1)[-1] if text and text.count(":") == 2 else None
