"""The MusicBrainz client against a loopback stand-in answering recorded responses."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from spotsyncd.identity.musicbrainz import MusicBrainzClient
from spotsyncd.identity.web import NoAnswer
from tests.fakes import musicbrainz as mb
from tests.fakes.http_server import LoopbackServer
from tests.identity.conftest import MemoryCache, service

pytestmark = pytest.mark.skipif(not mb.available(), reason="../shared/realworld is not present")


@pytest.fixture
def stand_in() -> Iterator[mb.FakeMusicBrainz]:
    with LoopbackServer() as server:
        yield mb.FakeMusicBrainz(server)


def test_an_isrc_lookup_asks_once_with_the_user_agent_and_caches(
    stand_in: mb.FakeMusicBrainz, cache: MemoryCache
) -> None:
    recordings = [mb.thousand_nights(), mb.thinking_out_loud()]
    stand_in.add_isrc("GBAHS1400099", recordings)
    client = MusicBrainzClient(service("musicbrainz", cache), stand_in.api_url)
    found = client.by_isrc("gbahs1400099")
    assert [r["id"] for r in found] == [r["id"] for r in recordings]
    assert client.by_isrc("GBAHS1400099") == found  # from the cache: one request in all
    assert len(stand_in.requests) == 1
    _at, path, agent = stand_in.requests[0]
    assert path.startswith("/ws/2/isrc/GBAHS1400099?inc=artist-credits+releases")
    assert "fmt=json" in path and agent == "spotsyncd/test ( me@example.org )"


def test_an_unknown_isrc_is_none_and_cached_as_such(
    stand_in: mb.FakeMusicBrainz, cache: MemoryCache
) -> None:
    stand_in.add_isrc("QZFAKE000001", [])
    client = MusicBrainzClient(service("musicbrainz", cache), stand_in.api_url)
    assert client.by_isrc("QZFAKE000001") == []
    assert client.by_isrc("QZFAKE000001") == [] and len(stand_in.requests) == 1


def test_a_503_slows_down_then_asks_again(stand_in: mb.FakeMusicBrainz) -> None:
    stand_in.add_isrc("GBAHS1400099", [mb.thinking_out_loud()])
    stand_in.server.fail("/ws/2/isrc/GBAHS1400099", [503])
    slept: list[float] = []
    client = MusicBrainzClient(service("musicbrainz", None, slept=slept), stand_in.api_url)
    assert client.by_isrc("GBAHS1400099")[0]["title"] == "Thinking Out Loud"
    assert slept == [2.0] and stand_in.server.hits["/ws/2/isrc/GBAHS1400099"] == 2
    stand_in.server.fail("/ws/2/isrc/GBAHS1400099", [503, 503, 503])
    with pytest.raises(NoAnswer, match="503"):  # still busy after three tries: no answer
        client.by_isrc("GBAHS1400099")


def test_a_search_sends_artist_title_and_length(stand_in: mb.FakeMusicBrainz) -> None:
    client = MusicBrainzClient(service("musicbrainz", None), stand_in.api_url)
    found = client.search("Dynamo Go", 'Thief of "Hearts"', 198.6)
    assert found[0]["id"] == "cb4d4d70-930c-4d1a-a157-776de18be66a" and found[0]["score"] == 100
    query = stand_in.requests[0][1]
    assert 'recording:"Thief of \\"Hearts\\"" AND artist:"Dynamo Go"' in query.replace("+", " ")
    assert "dur:[188600 TO 208600]" in query.replace("+", " ")


def test_a_service_down_is_no_answer_and_is_left_alone(cache: MemoryCache) -> None:
    with LoopbackServer() as server:
        url = server.url("/ws/2/")
    client = MusicBrainzClient(service("musicbrainz", cache), url)  # the port is closed now
    with pytest.raises(NoAnswer):
        client.by_isrc("GBAHS1400099")
    with pytest.raises(NoAnswer, match="not asked again yet"):
        client.by_isrc("GBAHS1400098")
