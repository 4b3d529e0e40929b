"""A YouTube Music stand-in for artist and album pages, served to ytmusicapi through a requests
transport so that ytmusicapi's own parsers read it.

The bodies follow the shape of YouTube Music's ``youtubei/v1/browse`` answers as recorded in
ytmusicapi's own test data (``tests/data/2026_05_get_artist1.json``, ``2026_05_get_album.json``):
an artist page is a ``singleColumnBrowseResultsRenderer`` with a ``musicImmersiveHeaderRenderer``
and ``musicCarouselShelfRenderer`` shelves of ``musicTwoRowItemRenderer`` releases; "more" is a
``gridRenderer`` of the same items; an album page is a ``twoColumnBrowseResultsRenderer`` with a
``musicResponsiveHeaderRenderer`` and a ``musicShelfRenderer`` of
``musicResponsiveListItemRenderer`` rows. Only the fields ytmusicapi reads are filled in, with
our own names and ids.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from requests.adapters import BaseAdapter
from requests.models import PreparedRequest, Response

Json = dict[str, Any]
HOME_PAGE = b'<html><script>ytcfg.set({"VISITOR_DATA":"CgtfakeVisitor"});</script></html>'
MORE_PARAMS = "6gPTAUNwc0JDbndLYlFBQV"  # the artist page's pointer to a full release list


@dataclass
class Track:
    video_id: str
    title: str
    seconds: int


@dataclass
class Release:
    browse_id: str  # MPREb_…
    title: str
    kind: str  # "Album", "Single" or "EP"
    year: str
    tracks: list[Track] = field(default_factory=list)


@dataclass
class Artist:
    channel_id: str
    name: str
    releases: list[Release] = field(default_factory=list)


def _runs(*texts: str) -> Json:
    return {"runs": [{"text": t} for t in texts]}


def _browse(browse_id: str, page_type: str, params: str | None = None) -> Json:
    endpoint: Json = {
        "browseId": browse_id,
        "browseEndpointContextSupportedConfigs": {
            "browseEndpointContextMusicConfig": {"pageType": page_type}
        },
    }
    if params:
        endpoint["params"] = params
    return {"browseEndpoint": endpoint}


def _thumbnails(seed: str) -> Json:
    return {
        "musicThumbnailRenderer": {
            "thumbnail": {
                "thumbnails": [
                    {
                        "url": f"https://lh3.googleusercontent.com/{seed}=w{s}-h{s}",
                        "width": s,
                        "height": s,
                    }
                    for s in (226, 544)
                ]  # fmt: skip
            }
        }
    }


def _two_row(release: Release) -> Json:
    return {
        "musicTwoRowItemRenderer": {
            "thumbnailRenderer": _thumbnails(release.browse_id),
            "title": {
                "runs": [
                    {
                        "text": release.title,
                        "navigationEndpoint": _browse(release.browse_id, "MUSIC_PAGE_TYPE_ALBUM"),
                    }
                ]
            },
            "subtitle": _runs(release.kind, " • ", release.year),
            "navigationEndpoint": _browse(release.browse_id, "MUSIC_PAGE_TYPE_ALBUM"),
        }
    }


def _single_column(contents: list[Json]) -> Json:
    return {
        "singleColumnBrowseResultsRenderer": {
            "tabs": [{"tabRenderer": {"content": {"sectionListRenderer": {"contents": contents}}}}]
        }
    }


def artist_page(artist: Artist, shown: int = 2) -> Json:
    """The artist page: the newest ``shown`` releases per shelf and a pointer to the rest."""
    shelves = []
    for title, kinds in (("Albums", ("Album",)), ("Singles & EPs", ("Single", "EP"))):
        releases = [r for r in artist.releases if r.kind in kinds]
        if not releases:
            continue
        title_run: Json = {"text": title}
        if len(releases) > shown:
            title_run["navigationEndpoint"] = _browse(
                artist.channel_id, "MUSIC_PAGE_TYPE_ARTIST_DISCOGRAPHY", MORE_PARAMS + kinds[0]
            )
        shelves.append(
            {
                "musicCarouselShelfRenderer": {
                    "header": {
                        "musicCarouselShelfBasicHeaderRenderer": {"title": {"runs": [title_run]}}
                    },
                    "contents": [_two_row(r) for r in releases[:shown]],
                }
            }
        )
    return {
        "contents": _single_column(shelves),
        "header": {
            "musicImmersiveHeaderRenderer": {
                "title": _runs(artist.name),
                "thumbnail": _thumbnails(artist.channel_id),
                "subscriptionButton": {
                    "subscribeButtonRenderer": {
                        "channelId": artist.channel_id,
                        "subscribed": False,
                        "subscriberCountText": _runs("1.2K"),
                    }
                },
            }
        },
    }


def releases_grid(artist: Artist, kind: str) -> Json:
    """The full list behind a shelf's pointer (``get_artist_albums``)."""
    kinds = ("Album",) if kind == "Album" else ("Single", "EP")
    items = [_two_row(r) for r in artist.releases if r.kind in kinds]
    return {"contents": _single_column([{"gridRenderer": {"items": items}}])}


def _row(number: int, track: Track) -> Json:
    minutes, seconds = divmod(track.seconds, 60)
    watch = {"watchEndpoint": {"videoId": track.video_id}}
    return {
        "musicResponsiveListItemRenderer": {
            "overlay": {
                "musicItemThumbnailOverlayRenderer": {
                    "content": {"musicPlayButtonRenderer": {"playNavigationEndpoint": watch}}
                }
            },
            "flexColumns": [
                {
                    "musicResponsiveListItemFlexColumnRenderer": {
                        "text": {"runs": [{"text": track.title, "navigationEndpoint": watch}]}
                    }
                },
                {"musicResponsiveListItemFlexColumnRenderer": {"text": {}}},
                {"musicResponsiveListItemFlexColumnRenderer": {"text": _runs("12K plays")}},
            ],  # fmt: skip
            "fixedColumns": [
                {
                    "musicResponsiveListItemFixedColumnRenderer": {
                        "text": _runs(f"{minutes}:{seconds:02d}")
                    }
                }
            ],  # fmt: skip
            "index": _runs(str(number)),
            "playlistItemData": {"videoId": track.video_id},
        }
    }


def album_page(artist: Artist, release: Release) -> Json:
    total = sum(t.seconds for t in release.tracks)
    header = {
        "musicResponsiveHeaderRenderer": {
            "thumbnail": _thumbnails(release.browse_id),
            "buttons": [],
            "title": _runs(release.title),
            "subtitle": _runs(release.kind, " • ", release.year),
            "straplineTextOne": {
                "runs": [
                    {
                        "text": artist.name,
                        "navigationEndpoint": _browse(artist.channel_id, "MUSIC_PAGE_TYPE_ARTIST"),
                    }
                ]
            },
            "secondSubtitle": _runs(
                f"{len(release.tracks)} songs", " • ", f"{total // 60} minutes"
            ),
        }
    }
    shelf = {
        "musicShelfRenderer": {"contents": [_row(n, t) for n, t in enumerate(release.tracks, 1)]}
    }
    return {
        "contents": {
            "twoColumnBrowseResultsRenderer": {
                "tabs": [
                    {"tabRenderer": {"content": {"sectionListRenderer": {"contents": [header]}}}}
                ],
                "secondaryContents": {"sectionListRenderer": {"contents": [shelf]}},
            }
        }
    }


class YtMusicStandIn(BaseAdapter):
    """Answers music.youtube.com's home page and ``browse`` calls for the artists it knows."""

    def __init__(self, *artists: Artist) -> None:
        super().__init__()
        self.artists = {a.channel_id: a for a in artists}
        self.calls: Counter[str] = Counter()

    def _answer(self, body: Json) -> Json | None:
        browse_id = str(body.get("browseId") or "")
        params = str(body.get("params") or "")
        if browse_id in self.artists:
            artist = self.artists[browse_id]
            if params.startswith(MORE_PARAMS):
                self.calls[f"releases:{browse_id}"] += 1
                return releases_grid(artist, params.removeprefix(MORE_PARAMS))
            self.calls[f"artist:{browse_id}"] += 1
            return artist_page(artist)
        for artist in self.artists.values():
            for release in artist.releases:
                if release.browse_id == browse_id:
                    self.calls[f"album:{browse_id}"] += 1
                    return album_page(artist, release)
        return None

    def send(self, request: PreparedRequest, **kwargs: Any) -> Response:  # type: ignore[override]
        status, content = 404, b'{"error": {"code": 404, "status": "NOT_FOUND"}}'
        if request.method == "GET" and str(request.url).rstrip("/") == "https://music.youtube.com":
            status, content = 200, HOME_PAGE
        elif request.method == "POST" and "/youtubei/v1/browse" in str(request.url):
            answer = self._answer(json.loads(request.body or b"{}"))
            if answer is not None:
                status, content = 200, json.dumps(answer).encode()
        response = Response()
        response.status_code = status
        response._content = content
        response.encoding = "utf-8"
        response.url = str(request.url)
        response.request = request
        response.reason = "OK" if status < 400 else "Not Found"
        return response

    def close(self) -> None:
        pass
