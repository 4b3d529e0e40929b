"""A loopback stand-in for LRCLIB's ``GET /api/get`` (https://lrclib.net/docs).

It answers the real shapes: a record with ``id``, ``name``, ``trackName``, ``artistName``,
``albumName``, ``duration``, ``instrumental``, ``plainLyrics``, ``syncedLyrics``, or a 404 with
``{"code": 404, "name": "TrackNotFound", "message": "Failed to find specified track"}``. Like the
real service it matches artist and title without regard to case and the duration within ±2 s;
``lenient=True`` drops the duration check, as a service with a sloppier match would, so that
spotsyncd's own check can be seen at work.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fakes.http_server import LoopbackServer

SYNCED = (
    "[00:00.40] First line of the song\n"
    "[00:01.20] Second line, sung a little later\n"
    "[00:02.10] \n"
    "[00:02.50] Last line"
)
PLAIN = "First line of the song\nSecond line, sung a little later\n\nLast line"


@dataclass
class FakeLrclib:
    server: LoopbackServer
    records: list[dict[str, Any]] = field(default_factory=list)
    lenient: bool = False
    queries: list[dict[str, str]] = field(default_factory=list)
    agents: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.server.route("/api/get", self._get)

    @property
    def api_url(self) -> str:
        return self.server.url("/api/")

    def add(
        self,
        artist: str,
        title: str,
        *,
        album: str = "",
        duration: float,
        plain: str | None = PLAIN,
        synced: str | None = SYNCED,
        instrumental: bool = False,
    ) -> dict[str, Any]:
        record = {
            "id": 1000 + len(self.records),
            "name": title,
            "trackName": title,
            "artistName": artist,
            "albumName": album,
            "duration": float(duration),
            "instrumental": instrumental,
            "plainLyrics": None if instrumental else plain,
            "syncedLyrics": None if instrumental else synced,
        }
        self.records.append(record)
        return record

    def _get(self, req: BaseHTTPRequestHandler) -> None:
        query = {k: v[0] for k, v in parse_qs(urlsplit(req.path).query).items()}
        self.queries.append(query)
        self.agents.append(req.headers.get("User-Agent", ""))
        if not query.get("track_name") or not query.get("artist_name"):
            body = {"code": 400, "name": "ValidationError", "message": "track_name is required"}
            return _answer(req, 400, body)
        for record in self.records:
            same = (
                record["trackName"].casefold() == query["track_name"].casefold()
                and record["artistName"].casefold() == query["artist_name"].casefold()
            )
            wanted = float(query.get("duration", record["duration"]))
            close = abs(record["duration"] - wanted) <= 2
            if same and (close or self.lenient):
                return _answer(req, 200, record)
        missing = "Failed to find specified track"
        return _answer(req, 404, {"code": 404, "name": "TrackNotFound", "message": missing})


def _answer(req: BaseHTTPRequestHandler, status: int, body: dict[str, Any]) -> None:
    data = json.dumps(body).encode("utf-8")
    req.send_response(status)
    req.send_header("Content-Type", "application/json")
    req.send_header("Content-Length", str(len(data)))
    req.end_headers()
    req.wfile.write(data)
