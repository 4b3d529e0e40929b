"""A loopback stand-in for the YouTube Data API v3: search.list and videos.list.

Answers in the documented response shapes (``youtube#searchListResponse`` /
``youtube#videoListResponse``; search titles HTML-escaped as the real API sends them), records
every call with the ``X-Goog-Api-Key`` header it carried, and can fail the way Google does
(403 ``quotaExceeded``, 400 ``keyInvalid``, 429, 5xx).
"""

from __future__ import annotations

import html
import json
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fakes.http_server import LoopbackServer

QUOTA_MESSAGE = (
    'The request cannot be completed because you have exceeded your <a href="/youtube/v3/'
    'getting-started#quota">quota</a>.'
)


def _thumbs(video_id: str) -> dict[str, Any]:
    return {
        "default": {"url": f"https://i.ytimg.com/vi/{video_id}/default.jpg", "width": 120,
                    "height": 90},
        "high": {"url": f"https://i.ytimg.com/vi/{video_id}/hqdefault.jpg", "width": 480,
                 "height": 360},
    }  # fmt: skip


DEFAULT_VIDEOS = {
    "kJQP7kiw5Fk": ("Luis Fonsi - Despacito ft. Daddy Yankee", "LuisFonsiVEVO", "PT4M42S", "8"),
    "aaaaaaaaaa1": ("Despacito (Cover en Español) & Letra", "Cover Hits", "PT3M50S", "12"),
    "aaaaaaaaaa2": ("Luis Fonsi - Despacito (Live) | Premios Lo Nuestro", "Univision", "PT5M1S",
                    "3"),
}  # fmt: skip


class ApiStandIn:
    """search.list and videos.list in the documented response shapes; counts every call."""

    def __init__(
        self, server: LoopbackServer, videos: dict[str, tuple[str, str, str, str]] | None = None
    ) -> None:
        """``videos``: id → (title, channel, ISO 8601 duration, views in millions)."""
        self.server = server
        self.videos = dict(DEFAULT_VIDEOS if videos is None else videos)
        self.calls: list[tuple[str, dict[str, list[str]], str | None]] = []
        self.fail_with: tuple[int, str] | None = None
        server.route("/youtube/v3/search", lambda req: self._answer(req, "search"))
        server.route("/youtube/v3/videos", lambda req: self._answer(req, "videos"))

    @property
    def url(self) -> str:
        return self.server.url("/youtube/v3")

    def _answer(self, req: BaseHTTPRequestHandler, method: str) -> None:
        params = parse_qs(urlsplit(req.path).query)
        self.calls.append((method, params, req.headers.get("X-Goog-Api-Key")))
        if self.fail_with:
            status, reason = self.fail_with
            message = QUOTA_MESSAGE if reason == "quotaExceeded" else "API key not valid."
            domain = "youtube.quota" if reason == "quotaExceeded" else "global"
            body: dict[str, Any] = {
                "error": {
                    "code": status,
                    "message": message,
                    "errors": [{"message": message, "domain": domain, "reason": reason}],
                }
            }
        elif method == "search":
            body = self._search()
        else:
            body = self._videos(params["id"][0].split(","))
        data = json.dumps(body).encode()
        req.send_response(self.fail_with[0] if self.fail_with else 200)
        req.send_header("Content-Type", "application/json; charset=UTF-8")
        req.send_header("Content-Length", str(len(data)))
        req.end_headers()
        req.wfile.write(data)

    def _search(self) -> dict[str, Any]:
        items = [
            {
                "kind": "youtube#searchResult",
                "etag": f"etag-{vid}",
                "id": {"kind": "youtube#video", "videoId": vid},
                "snippet": {
                    "publishedAt": "2017-01-12T19:06:32Z",
                    "channelId": "UCLp8RBhQHu9wSsq62j_Md6A",
                    "title": html.escape(title),
                    "description": "…",
                    "thumbnails": _thumbs(vid),
                    "channelTitle": channel,
                    "liveBroadcastContent": "none",
                    "publishTime": "2017-01-12T19:06:32Z",
                },
            }
            for vid, (title, channel, _d, _v) in self.videos.items()
        ]
        return {
            "kind": "youtube#searchListResponse",
            "etag": "etag-search",
            "nextPageToken": "CAoQAA",
            "regionCode": "DE",
            "pageInfo": {"totalResults": 1000000, "resultsPerPage": len(items)},
            "items": items,
        }

    def _videos(self, ids: list[str]) -> dict[str, Any]:
        items = []
        for vid in ids:
            title, channel, duration, views = self.videos[vid]
            items.append(
                {
                    "kind": "youtube#video",
                    "etag": f"etag-v-{vid}",
                    "id": vid,
                    "snippet": {
                        "publishedAt": "2017-01-12T19:06:32Z",
                        "channelId": "UCLp8RBhQHu9wSsq62j_Md6A",
                        "title": title,
                        "description": "…",
                        "thumbnails": _thumbs(vid),
                        "channelTitle": channel,
                        "categoryId": "10",
                        "liveBroadcastContent": "none",
                    },
                    "contentDetails": {
                        "duration": duration,
                        "dimension": "2d",
                        "definition": "hd",
                        "caption": "false",
                        "licensedContent": True,
                        "contentRating": {},
                        "projection": "rectangular",
                    },
                    "statistics": {"viewCount": views + "000000", "likeCount": "1",
                                   "favoriteCount": "0", "commentCount": "1"},
                }
            )  # fmt: skip
        return {
            "kind": "youtube#videoListResponse",
            "etag": "etag-videos",
            "items": items,
            "pageInfo": {"totalResults": len(items), "resultsPerPage": len(items)},
        }
