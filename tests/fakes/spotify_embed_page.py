"""Spotify embed pages (``open.spotify.com/embed/...``) as the fake serves them.

The structure follows the real page: a Next.js ``__NEXT_DATA__`` script whose
``props.pageProps.state.data.entity`` holds the track, album or playlist; an unknown ID still
answers 200, but without ``state``.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

Json = dict[str, Any]


def collection_entity(
    kind: str,
    item_id: str,
    name: str,
    subtitle: str,
    rows: list[Json],
    images: list[Json],
    release: str | None,
) -> Json:
    track_list = [
        {
            "uri": t["uri"],
            "uid": secrets.token_hex(8),
            "title": t["name"],
            "subtitle": ",\u00a0".join(a["name"] for a in t["artists"]),
            "isExplicit": t["explicit"],
            "duration": t["duration_ms"],
            "isPlayable": True,
            "entityType": "track",
            "audioPreview": {"url": "https://p.scdn.co/mp3-preview/x"},
        }
        for t in rows[:100]
    ]
    return {
        "type": kind,
        "id": item_id,
        "name": name,
        "title": name,
        "subtitle": subtitle,
        "uri": f"spotify:{kind}:{item_id}",
        "releaseDate": {"isoString": release} if release else None,
        "visualIdentity": {
            "image": [
                {"url": i["url"], "maxWidth": i["width"], "maxHeight": i["height"]} for i in images
            ]
        },
        "trackList": track_list,
    }


def embed_html(entity: Json | None) -> str:
    """An embed page as Spotify serves it: unknown IDs get HTTP 200 without ``state``."""
    if entity is None:
        page_props: Json = {"status": 404, "title": "Page not found", "rtl": False}
    else:
        page_props = {
            "state": {
                "data": {"entity": entity, "embeded_entity_uri": entity["uri"]},
                "settings": {"session": {"accessToken": "anon-embed-token", "isAnonymous": True}},
            }
        }
    data = {
        "props": {"pageProps": page_props},
        "page": "/embed/[type]/[id]",
        "buildId": "fake",
        "isFallback": False,
        "gssp": True,
    }
    payload = json.dumps(data).replace("<", "\\u003c")
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charSet="utf-8"/><title>Spotify Embed'
        '</title><script src="/embed/_next/static/chunks/main.js" defer=""></script></head>'
        '<body><div id="__next"></div><script id="__NEXT_DATA__" type="application/json">'
        f"{payload}</script></body></html>"
    )


def track_entity(track: Json) -> Json:
    """A track's embed entity from a Web API track object."""
    album = track["album"]
    sources = [
        {"url": i["url"], "width": i["width"], "height": i["height"]} for i in album["images"]
    ]
    return {
        "type": "track",
        "id": track["id"],
        "name": track["name"],
        "title": track["name"],
        "uri": track["uri"],
        "artists": [{"name": a["name"], "uri": a["uri"]} for a in track["artists"]],
        "duration": track["duration_ms"],
        "isExplicit": track["explicit"],
        "releaseDate": {"isoString": f"{album['release_date']}T00:00:00Z"},
        "coverArt": {"sources": sources},
    }
