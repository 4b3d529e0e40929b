"""A Spotify artist's releases as a listing of album collections: pure functions, no I/O.

Under the 2026 rules ``GET /artists/{id}/albums`` still answers client credentials, ten releases
a page (absolute ``next`` URLs), grouped (albums, singles, compilations, appears-on) and newest
first within a group. Its first page plus ``total`` is the release list's identity: a new
release changes the total or the first page of its group, so one request tells whether a
followed artist has anything new. Without credentials only the artist's embed page is left,
which shows their top tracks and no releases at all; the listing says so.
"""

from __future__ import annotations

import hashlib
from typing import Any

from spotsyncd.core.models import Link, LinkKind, ListedItem, Listing, Source, TrackMeta
from spotsyncd.sources.spotify.embed import EmbedEntity, largest_image_url
from spotsyncd.sources.spotify.parse import listed_item, to_int, to_text

ARTIST_PAGE_LIMIT = 10  # the most /artists/{id}/albums answers per page since 2026


def release_identity(first_page: dict[str, Any], include: tuple[str, ...]) -> str:
    """What changes when the artist's release list changes (from the first page alone)."""
    ids = [str(a.get("id")) for a in first_page.get("items") or [] if isinstance(a, dict)]
    text = f"artist\n{','.join(include)}\n{to_int(first_page.get('total'))}\n" + "\n".join(ids)
    return "artist:" + hashlib.sha256(text.encode()).hexdigest()


def album_item(row: dict[str, Any]) -> ListedItem | None:
    """One release of ``/artists/{id}/albums`` as an album collection to expand later."""
    album_id = to_text(row.get("id"))
    if not album_id:
        return None
    artists = tuple(
        name
        for a in row.get("artists") or []
        if isinstance(a, dict) and (name := to_text(a.get("name")))
    )
    url = f"https://open.spotify.com/album/{album_id}"
    meta = TrackMeta(
        title=to_text(row.get("name")),
        album=to_text(row.get("name")),
        artists=artists,
        album_artist=", ".join(artists) or None,
        track_total=to_int(row.get("total_tracks")),
        date=to_text(row.get("release_date")),
        source_url=url,
        cover_url=largest_image_url(row.get("images") or []),
    )
    link = Link(f"spotify:album:{album_id}", url, Source.SPOTIFY, LinkKind.COLLECTION)
    return ListedItem(link=link, meta=meta)


def artist_listing(
    artist_id: str, first_page: dict[str, Any], rows: list[Any], include: tuple[str, ...]
) -> Listing:
    items: list[ListedItem] = []
    seen: set[str] = set()
    groups: dict[str, int] = {}
    for row in rows:
        if not isinstance(row, dict):
            continue
        item = album_item(row)
        if item is None or item.link.key in seen:
            continue
        seen.add(item.link.key)
        items.append(item)
        group = to_text(row.get("album_group")) or to_text(row.get("album_type")) or "album"
        groups[group] = groups.get(group, 0) + 1
    counted = ", ".join(f"{n} {g}{'s' if n != 1 else ''}" for g, n in groups.items()) or "none"
    note = f"releases from the Web API (/artists/{{id}}/albums, {', '.join(include)}): {counted}"
    return Listing(
        title=_artist_name(rows, artist_id),
        items=tuple(items),
        fingerprint=release_identity(first_page, include),
        notes=(note,),
    )


def embed_artist_listing(entity: EmbedEntity, why: str) -> Listing:
    """The embed page's top tracks, for when the Web API cannot be asked."""
    items = [listed_item(t.track_id, t.meta) for t in entity.tracks]
    keys = "\n".join(i.link.key for i in items)
    note = (
        f"embed page ({why}): only the artist's {len(items)} top tracks, none of their albums or "
        "singles; set spotify.client_id and spotify.client_secret for the whole discography"
    )
    return Listing(
        title=entity.name,
        items=tuple(items),
        fingerprint="artist-embed:" + hashlib.sha256(keys.encode()).hexdigest(),
        notes=(note,),
    )


def _artist_name(rows: list[Any], artist_id: str) -> str | None:
    for row in rows:
        for artist in (row.get("artists") or []) if isinstance(row, dict) else []:
            if isinstance(artist, dict) and artist.get("id") == artist_id:
                return to_text(artist.get("name"))
    return None
