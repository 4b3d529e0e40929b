"""A loopback stand-in for YouTube Music's search, in the filtered shape ytmusicapi parses.

    with YtMusicStandIn(catalogue) as ytm:
        session = ytm.session()          # requests to https://music.youtube.com/ go to loopback
        YtMusicSearcher(session).search("Daft Punk - Veridis Quo")

The answers have the structure of real filtered answers (``tests/data/ytmusic_search_filtered.json``
and the recorded one in ``shared/reference``): a ``musicShelfRenderer`` of
``musicResponsiveListItemRenderer`` items whose second flex column holds artist, album and
duration runs. A search returns the catalogue entries of the asked kind (``params``: songs or
videos) that share a word of three letters or more with the query, like a search engine would:
decoys included, so the matcher still has to choose.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from requests.models import PreparedRequest, Response

from tests.fakes.http_server import LoopbackServer

HOME_PAGE = b'<html><script>ytcfg.set({"VISITOR_DATA":"CgtfakeVisitor"});</script></html>'
SONGS_PARAM = "EgWKAQIIAWoMEA4QChADEAQQCRAF"
VIDEOS_PARAM = "EgWKAQIQAWoMEA4QChADEAQQCRAF"
REAL_HOST = "https://music.youtube.com"


@dataclass(frozen=True)
class Entry:
    video_id: str
    title: str
    artists: tuple[str, ...]
    duration: str  # "3:41"
    kind: str = "song"  # song | video
    album: str | None = None
    year: str | None = None
    thumbnail: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Entry:
        return cls(**{**data, "artists": tuple(data["artists"])})


@dataclass
class YtMusicStandIn:
    catalogue: list[Entry]
    queries: list[tuple[str, str | None]] = field(default_factory=list)
    server: LoopbackServer = field(default_factory=LoopbackServer)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __enter__(self) -> YtMusicStandIn:
        self.server.add("/", HOME_PAGE, "text/html")
        self.server.route("/youtubei/v1/search", self._search)
        self.server.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.close()

    @property
    def base_url(self) -> str:
        return self.server.url("")

    def session(self) -> requests.Session:
        return routed_session(self.base_url)

    def _search(self, req: BaseHTTPRequestHandler) -> None:
        body = json.loads(getattr(req, "request_body", b"") or b"{}")
        query = str(body.get("query", ""))
        params = body.get("params")
        with self.lock:
            self.queries.append((query, params))
        kind = {SONGS_PARAM: "song", VIDEOS_PARAM: "video"}.get(params)
        found = [e for e in self.catalogue if (kind is None or e.kind == kind) and _hit(e, query)]
        payload = json.dumps(search_answer(found, "Songs" if kind == "song" else "Videos"))
        data = payload.encode()
        req.send_response(200)
        req.send_header("Content-Type", "application/json; charset=utf-8")
        req.send_header("Content-Length", str(len(data)))
        req.end_headers()
        req.wfile.write(data)


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"\w+", text.casefold()) if len(w) >= 3}


def _hit(entry: Entry, query: str) -> bool:
    return bool(_words(query) & _words(" ".join((entry.title, *entry.artists))))


def search_answer(entries: list[Entry], shelf: str) -> dict[str, Any]:
    """A filtered search answer holding ``entries`` in one shelf."""
    items = [{"musicResponsiveListItemRenderer": _item(e)} for e in entries]
    section = {"musicShelfRenderer": {"title": {"runs": [{"text": shelf}]}, "contents": items}}
    tab = {"tabRenderer": {"content": {"sectionListRenderer": {"contents": [section]}}}}
    return {"contents": {"tabbedSearchResultsRenderer": {"tabs": [tab]}}}


def _item(entry: Entry) -> dict[str, Any]:
    video_type = "MUSIC_VIDEO_TYPE_ATV" if entry.kind == "song" else "MUSIC_VIDEO_TYPE_OMV"
    runs: list[dict[str, Any]] = []
    for index, artist in enumerate(entry.artists):
        if index:
            runs.append({"text": " & "})
        browse = {
            "browseEndpoint": {"browseId": f"UCstandin{index:02d}{abs(hash(artist)) % 10**8}"}
        }
        runs.append({"text": artist, "navigationEndpoint": browse})
    if entry.album:
        album_browse = {"browseEndpoint": {"browseId": f"MPREb_{entry.video_id}"}}
        runs += [{"text": " • "}, {"text": entry.album, "navigationEndpoint": album_browse}]
    if entry.year:
        runs += [{"text": " • "}, {"text": entry.year}]
    runs += [{"text": " • "}, {"text": entry.duration}]
    watch = {
        "videoId": entry.video_id,
        "watchEndpointMusicSupportedConfigs": {
            "watchEndpointMusicConfig": {"musicVideoType": video_type}
        },
    }
    item: dict[str, Any] = {
        "overlay": {
            "musicItemThumbnailOverlayRenderer": {
                "content": {
                    "musicPlayButtonRenderer": {"playNavigationEndpoint": {"watchEndpoint": watch}}
                }
            }
        },
        "flexColumns": [
            {
                "musicResponsiveListItemFlexColumnRenderer": {
                    "text": {"runs": [{"text": entry.title}]}
                }
            },
            {"musicResponsiveListItemFlexColumnRenderer": {"text": {"runs": runs}}},
        ],
    }
    if entry.thumbnail:
        thumbs = [
            {"url": entry.thumbnail.replace("w544-h544", "w60-h60"), "width": 60, "height": 60},
            {"url": entry.thumbnail, "width": 544, "height": 544},
        ]
        item["thumbnail"] = {"musicThumbnailRenderer": {"thumbnail": {"thumbnails": thumbs}}}
    return item


class _Router(HTTPAdapter):
    """Sends what is addressed to music.youtube.com to the loopback stand-in instead."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/")

    def send(self, request: PreparedRequest, **kwargs: Any) -> Response:  # type: ignore[override]
        request.url = str(request.url).replace(REAL_HOST, self.base_url, 1)
        return super().send(request, **kwargs)


def routed_session(base_url: str) -> requests.Session:
    session = requests.Session()
    session.mount(REAL_HOST + "/", _Router(base_url))
    return session
