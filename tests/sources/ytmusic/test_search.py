"""YtMusicSearcher against canned YouTube Music answers served through a requests transport."""

from __future__ import annotations

import json
import locale
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
import requests
from requests.adapters import BaseAdapter
from requests.models import PreparedRequest, Response

from spotsyncd.core.errors import RateLimitedError, TransientError
from spotsyncd.matching.score import TrackInfo, best_match
from spotsyncd.sources.ytmusic.search import YtMusicSearcher, parse_views

FIXTURE = Path(__file__).parents[2] / "data" / "ytmusic_search_filtered.json"
RECORDED = "ytmusic-search-lost-identities-moments-2024.json"
HOME_PAGE = b'<html><script>ytcfg.set({"VISITOR_DATA":"CgtfakeVisitor"});</script></html>'
# ytmusicapi's "params" for filter="songs" / "videos" (protobuf, base64): II = songs, IQ = videos.
SONGS_PARAM = "EgWKAQIIAWoMEA4QChADEAQQCRAF"
VIDEOS_PARAM = "EgWKAQIQAWoMEA4QChADEAQQCRAF"

Reply = tuple[int, bytes]


class CannedTransport(BaseAdapter):
    """Answers music.youtube.com like the real service would, from canned bodies."""

    def __init__(self, search: Callable[[dict[str, Any]], Reply]) -> None:
        super().__init__()
        self.search = search
        self.requests: list[tuple[str, str, dict[str, Any]]] = []

    def send(self, request: PreparedRequest, **kwargs: Any) -> Response:  # type: ignore[override]
        body = json.loads(request.body) if request.body else {}
        self.requests.append((str(request.method), str(request.url), body))
        if request.method == "GET" and request.url == "https://music.youtube.com/":
            status, content = 200, HOME_PAGE
        elif request.method == "POST" and "/youtubei/v1/search" in str(request.url):
            status, content = self.search(body)
        else:
            status, content = 404, b"{}"
        response = Response()
        response.status_code = status
        response._content = content
        response.encoding = "utf-8"
        response.url = str(request.url)
        response.request = request
        response.reason = "OK" if status < 400 else "Error"
        response.headers["Retry-After"] = "30"
        return response

    def close(self) -> None:
        pass


def make_searcher(
    search: Callable[[dict[str, Any]], Reply],
) -> tuple[YtMusicSearcher, CannedTransport]:
    transport = CannedTransport(search)
    session = requests.Session()
    session.mount("https://", transport)
    session.mount("http://", transport)
    return YtMusicSearcher(session, language="en"), transport


def by_filter(bodies: Mapping[str | None, bytes]) -> Callable[[dict[str, Any]], Reply]:
    def answer(body: dict[str, Any]) -> Reply:
        return 200, bodies[{SONGS_PARAM: "songs", VIDEOS_PARAM: "videos"}.get(body.get("params"))]

    return answer


@pytest.fixture
def filtered() -> dict[str, bytes]:
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    return {key: json.dumps(value).encode() for key, value in data.items() if key != "about"}


def test_filtered_answers_become_songs_then_videos(filtered: dict[str, bytes]) -> None:
    searcher, transport = make_searcher(
        by_filter({"songs": filtered["songs"], "videos": filtered["videos"]})
    )
    candidates = searcher.search("The Lantern Rooms Harbour Lights", limit=5)

    assert [c.video_id for c in candidates] == [
        "songAAAAAA1",
        "songAAAAAA2",
        "videoAAAAA1",
        "videoAAAAA2",
    ]  # the song repeated in the videos answer appears once
    song, live, video, lyrics = candidates
    assert song.kind == "song" and song.provider == "ytmusic"
    assert song.artists == ("The Lantern Rooms", "June Vale")
    assert song.album == "Harbour Lights" and song.duration_s == 221.0
    assert song.explicit is False and live.explicit is True
    assert video.kind == "video" and video.views == 1_200_000 and video.duration_s == 250.0
    assert video.channel == "The Lantern Rooms"
    assert lyrics.views == 35_000
    posts = [body.get("params") for method, _, body in transport.requests if method == "POST"]
    assert posts == [SONGS_PARAM, VIDEOS_PARAM]
    assert transport.requests[0][:2] == ("GET", "https://music.youtube.com/")


def test_limit_applies_to_each_kind(filtered: dict[str, bytes]) -> None:
    searcher, _ = make_searcher(
        by_filter({"songs": filtered["songs"], "videos": filtered["videos"]})
    )
    assert [c.video_id for c in searcher.search("q", limit=1)] == ["songAAAAAA1", "videoAAAAA1"]


def test_german_shelf_titles_fall_back_to_the_unfiltered_search(
    filtered: dict[str, bytes], shared_reference: Path
) -> None:
    """ytmusicapi drops a filtered "Titel" shelf (it looks for "song"); we ask unfiltered."""
    recorded = (shared_reference / RECORDED).read_bytes()
    searcher, transport = make_searcher(
        by_filter({"songs": filtered["songs_de"], "videos": recorded, None: recorded})
    )
    candidates = searcher.search("Lost Identities Moments")

    by_id = {c.video_id: c for c in candidates}
    assert by_id["0h6XAAwX8II"].kind == "song"
    assert by_id["0h6XAAwX8II"].artists == ("Lost Identities", "Robbie Rosen")
    assert by_id["0h6XAAwX8II"].views == 1_000_000  # "1 Mio."
    assert by_id["14CjyUYO8lE"].kind == "video" and by_id["14CjyUYO8lE"].views == 909_011
    assert all(c.video_id not in {"6V5zEW6WiYI", "PVBEWa-w8Is"} for c in candidates)  # episodes
    assert [c.kind for c in candidates] == sorted((c.kind for c in candidates), reverse=False)
    posts = [body.get("params") for method, _, body in transport.requests if method == "POST"]
    assert posts == [SONGS_PARAM, None, VIDEOS_PARAM]  # one unfiltered call serves both kinds


def test_recorded_response_feeds_the_matcher(shared_reference: Path) -> None:
    recorded = (shared_reference / RECORDED).read_bytes()
    searcher, _ = make_searcher(lambda body: (200, recorded))  # unfiltered shape for every call
    candidates = searcher.search("Lost Identities Moments", limit=10)

    assert {c.kind for c in candidates} == {"song", "video"}
    assert len({c.video_id for c in candidates}) == len(candidates)
    wanted = TrackInfo("Moments", ("Lost Identities", "Robbie Rosen"), "Moments", 220.0)
    result = best_match(wanted, candidates)
    assert result.chosen is not None and result.chosen.video_id == "0h6XAAwX8II"
    acoustic = TrackInfo(
        "Moments (Acoustic Version)", ("Lost Identities", "Robbie Rosen"), None, 169
    )
    chosen = best_match(acoustic, candidates).chosen
    assert chosen is not None and chosen.video_id == "wgpEmlJ3guA"


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_are_transient(status: int) -> None:
    searcher, _ = make_searcher(lambda body: (status, b"<html>oops</html>"))
    with pytest.raises(TransientError) as caught:
        searcher.search("anything")
    assert not isinstance(caught.value, RateLimitedError)
    assert str(status) in str(caught.value)


def test_429_is_rate_limited_with_retry_after() -> None:
    searcher, _ = make_searcher(lambda body: (429, b"<html>slow down</html>"))
    with pytest.raises(RateLimitedError) as caught:
        searcher.search("anything")
    assert caught.value.retry_after == 30.0 and caught.value.service == "ytmusic"


def test_garbage_body_is_transient() -> None:
    searcher, _ = make_searcher(lambda body: (200, b"not json"))
    with pytest.raises(TransientError):
        searcher.search("anything")


def test_connection_errors_are_transient() -> None:
    def refuse(body: dict[str, Any]) -> Reply:
        raise requests.ConnectionError("connection refused")

    searcher, _ = make_searcher(refuse)
    with pytest.raises(TransientError, match="connection refused"):
        searcher.search("anything")


def test_client_is_built_lazily_and_keeps_the_locale(filtered: dict[str, bytes]) -> None:
    searcher, transport = make_searcher(
        by_filter({"songs": filtered["songs"], "videos": filtered["videos"]})
    )
    assert transport.requests == []  # constructing does no I/O
    before = locale.setlocale(locale.LC_ALL)
    searcher.search("q")
    assert locale.setlocale(locale.LC_ALL) == before


@pytest.mark.parametrize(
    ("text", "views"),
    [
        ("1.2M", 1_200_000),
        ("1,2\u00a0Mio.", 1_200_000),
        ("32.894", 32_894),
        ("3701\u00a0Wiedergaben", 3_701),
        ("1,234,567 views", 1_234_567),
        ("35K views", 35_000),
        ("2.1B", 2_100_000_000),
        ("909.011", 909_011),
        (None, None),
        ("no views", None),
    ],
)
def test_parse_views(text: str | None, views: int | None) -> None:
    assert parse_views(text) == views
