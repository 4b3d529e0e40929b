"""Loopback stand-ins for MusicBrainz (WS/2, JSON) and AcoustID (``/v2/lookup``) that answer
with the real responses recorded by Picard, Clementine and python-musicbrainzngs in
``../shared/realworld/musicbrainz/`` (read from there, never copied here; see its SOURCES.md).

- Recording objects come as recorded: the JSON ones as they are; the XML ones (a recording on
  seven releases, a recording search of 1258 hits) rendered in WS/2's JSON form, which names the
  same elements (``release-list`` → ``releases``, ``medium-list`` → ``media``, ``track-list``
  → ``tracks`` with ``track-offset`` and ``track-count``, ``ext:score`` → ``score``).
- ``/ws/2/isrc/{isrc}`` answers ``{"isrc": …, "recordings": [recording, …]}`` (no such
  response was found recorded as a file), or MusicBrainz's 404 for an ISRC it does not know.
- ``/ws/2/recording?query=…`` answers the recorded search whatever the query.
- ``/v2/lookup`` maps each fingerprint it is sent to a recorded lookup response; an unknown
  fingerprint gets AcoustID's answer for no match (``{"status": "ok", "results": []}``), a wrong
  key its error answer. Generated test audio cannot match real recordings, so the test hands in
  the fingerprints of its own files (computed by the test with ffmpeg).

Every request is kept (``requests``), with its time, for the rate-limit checks.
"""

from __future__ import annotations

import json
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.fakes.http_server import LoopbackServer

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "realworld" / "musicbrainz"
NS = {"mb": "http://musicbrainz.org/ns/mmd-2.0#", "ext": "http://musicbrainz.org/ns/ext#-2.0"}
NOT_FOUND = {
    "error": "Not Found",
    "help": "For usage, please see: https://musicbrainz.org/development/mmd",
}
NO_MATCH = {"status": "ok", "results": []}
BAD_KEY = {"status": "error", "error": {"code": 4, "message": "invalid API key"}}


def available() -> bool:
    return (SHARED / "picard_acoustid_lookup_full.json").is_file()


def recorded_json(name: str) -> Any:
    return json.loads((SHARED / name).read_text(encoding="utf-8"))


# -- the recorded objects ------------------------------------------------------------------


def thinking_out_loud() -> dict[str, Any]:
    """Ed Sheeran, Thinking Out Loud (281 s, ISRC GBAHS1400099): Picard's recording lookup."""
    return dict(recorded_json("picard_recording_thinking_out_loud.json"))


def thousand_nights() -> dict[str, Any]:
    """1000 Nights, a three-artist credit (212 s)."""
    return dict(recorded_json("picard_recording_multi_artists.json"))


def the_enemy_video() -> dict[str, Any]:
    """The Enemy, the music video recording (218 s)."""
    return dict(recorded_json("picard_recording_video.json"))


def mozart_on_seven_releases() -> dict[str, Any]:
    """Symphony no. 40: I. Allegro molto (Hans Graf, Mozarteum Orchester Salzburg), on seven
    releases (Clementine's XML recording lookup)."""
    root = ET.parse(SHARED / "clementine_mb_recording_multi_release.xml").getroot()
    element = root.find("mb:recording", NS)
    assert element is not None
    return recording_from_xml(element)


def search_answer() -> dict[str, Any]:
    """python-musicbrainzngs' recorded recording search (Dynamo Go first, 1258 hits)."""
    root = ET.parse(SHARED / "mbngs_search_recording.xml").getroot()
    listing = root.find("mb:recording-list", NS)
    assert listing is not None
    return {
        "created": "2011-06-15T20:03:44.000Z",
        "count": int(listing.get("count") or 0),
        "offset": int(listing.get("offset") or 0),
        "recordings": [recording_from_xml(r) for r in listing.findall("mb:recording", NS)],
    }


def hocus_pocus_lookup() -> dict[str, Any]:
    """Picard's recorded AcoustID lookup: one result (score 0.9468) with three recordings, two
    of them Focus's Hocus Pocus (200 s and 204 s)."""
    return dict(recorded_json("picard_acoustid_lookup_full.json"))


def nina_lookup() -> dict[str, Any]:
    """A lookup answer around Picard's recorded AcoustID recording element (Ed Sheeran, Nina,
    225 s, one release group); the result's id and score are this stand-in's."""
    element = recorded_json("picard_acoustid_recording_element.json")
    return {"status": "ok", "results": [
        {"id": "9ff43b6a-4f16-427c-93c2-92307ca505e0", "score": 0.912, "recordings": [element]}
    ]}  # fmt: skip


def recording_from_xml(element: ET.Element) -> dict[str, Any]:
    """A WS/2 XML ``<recording>`` in WS/2's JSON shape."""

    def text(node: ET.Element | None, tag: str) -> str | None:
        found = None if node is None else node.find(f"mb:{tag}", NS)
        return found.text if found is not None else None

    out: dict[str, Any] = {"id": element.get("id"), "title": text(element, "title")}
    length = text(element, "length")
    out["length"] = int(length) if length else None
    score = element.get(f"{{{NS['ext']}}}score")
    if score is not None:
        out["score"] = int(score)
    out["artist-credit"] = _credit(element.find("mb:artist-credit", NS))
    releases = []
    for release in element.findall("mb:release-list/mb:release", NS):
        item: dict[str, Any] = {
            "id": release.get("id"),
            "title": text(release, "title"),
            "status": text(release, "status"),
            "date": text(release, "date"),
            "country": text(release, "country"),
        }
        group = release.find("mb:release-group", NS)
        if group is not None:
            item["release-group"] = {"id": group.get("id"), "primary-type": group.get("type")}
        media_list = release.find("mb:medium-list", NS)
        total = text(media_list, "track-count")
        if total:
            item["track-count"] = int(total)
        media = []
        for medium in release.findall("mb:medium-list/mb:medium", NS):
            tracks = medium.find("mb:track-list", NS)
            position = text(medium, "position")
            media.append({
                "position": int(position) if position else None,
                "format": text(medium, "format"),
                "track-count": int(tracks.get("count") or 0) if tracks is not None else None,
                "track-offset": int(tracks.get("offset") or 0) if tracks is not None else None,
                "tracks": [
                    {"id": t.get("id"), "number": text(t, "number"), "title": text(t, "title"),
                     "length": int(text(t, "length") or 0) or None,
                     "position": int(text(t, "position") or 0) or None}
                    for t in (tracks.findall("mb:track", NS) if tracks is not None else [])
                ],
            })  # fmt: skip
        item["media"] = media
        releases.append(item)
    if releases:
        out["releases"] = releases
    return out


def _credit(node: ET.Element | None) -> list[dict[str, Any]]:
    if node is None:
        return []
    credits = []
    for name_credit in node.findall("mb:name-credit", NS):
        artist = name_credit.find("mb:artist", NS)
        name = artist.find("mb:name", NS) if artist is not None else None
        sort = artist.find("mb:sort-name", NS) if artist is not None else None
        credits.append({
            "name": name.text if name is not None else "",
            "joinphrase": name_credit.get("joinphrase") or "",
            "artist": {"id": artist.get("id") if artist is not None else None,
                       "name": name.text if name is not None else "",
                       "sort-name": sort.text if sort is not None else ""},
        })  # fmt: skip
    return credits


# -- the stand-ins ------------------------------------------------------------------------------


@dataclass
class FakeMusicBrainz:
    """``/ws/2/isrc/{isrc}`` for the ISRCs added, ``/ws/2/recording`` (search)."""

    server: LoopbackServer
    search: dict[str, Any] = field(default_factory=search_answer)
    requests: list[tuple[float, str, str]] = field(default_factory=list)  # (time, path, agent)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.server.route("/ws/2/recording", self._search)

    @property
    def api_url(self) -> str:
        return self.server.url("/ws/2/")

    def add_isrc(self, isrc: str, recordings: list[dict[str, Any]]) -> str:
        """Answer ``isrc``'s lookup with these recordings ([]: MusicBrainz's 404)."""
        path = f"/ws/2/isrc/{isrc}"

        def answer(req: BaseHTTPRequestHandler) -> None:
            self._seen(req)
            query = parse_qs(urlsplit(req.path).query, keep_blank_values=True)
            if query.get("fmt") != ["json"] or "inc" not in query:
                return _send(req, 400, {"error": "this stand-in expects fmt=json and inc="})
            if not recordings:
                return _send(req, 404, NOT_FOUND)
            _send(req, 200, {"isrc": isrc, "recordings": recordings})

        return self.server.route(path, answer)

    def _search(self, req: BaseHTTPRequestHandler) -> None:
        self._seen(req)
        query = parse_qs(urlsplit(req.path).query)
        if not query.get("query"):
            return _send(req, 400, {"error": "Missing required parameter 'query'"})
        _send(req, 200, self.search)

    def _seen(self, req: BaseHTTPRequestHandler) -> None:
        with self._lock:
            self.requests.append((time.monotonic(), unquote(req.path),
                                  req.headers.get("User-Agent", "")))  # fmt: skip


@dataclass
class FakeAcoustid:
    """``/v2/lookup``: each known fingerprint answers its recorded response."""

    server: LoopbackServer
    api_key: str = "test-acoustid-key"
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)  # fingerprint → answer
    requests: list[dict[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.server.route("/v2/lookup", self._lookup)

    @property
    def api_url(self) -> str:
        return self.server.url("/v2/")

    def answer(self, fingerprint: str, response: dict[str, Any]) -> None:
        self.answers[fingerprint] = response

    def _lookup(self, req: BaseHTTPRequestHandler) -> None:
        body = getattr(req, "request_body", b"").decode("ascii", "replace")
        form = {k: v[0] for k, v in parse_qs(body or urlsplit(req.path).query).items()}
        self.requests.append(form)
        if form.get("client") != self.api_key:
            return _send(req, 400, BAD_KEY)
        if not form.get("duration", "").isdigit() or not form.get("fingerprint"):
            missing = {"status": "error", "error": {"code": 2, "message": "missing parameter"}}
            return _send(req, 400, missing)
        _send(req, 200, self.answers.get(form["fingerprint"], NO_MATCH))


def _send(req: BaseHTTPRequestHandler, status: int, body: Any) -> None:
    data = json.dumps(body).encode("utf-8")
    req.send_response(status)
    req.send_header("Content-Type", "application/json")
    req.send_header("Content-Length", str(len(data)))
    req.end_headers()
    req.wfile.write(data)
