"""The AcoustID client: what it sends (a fingerprint and a length, nothing else) and reads."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from spotsyncd.core.models import Fingerprint
from spotsyncd.identity.acoustid import AcoustidClient
from spotsyncd.identity.web import NoAnswer
from tests.fakes import musicbrainz as mb
from tests.fakes.http_server import LoopbackServer
from tests.identity.conftest import MemoryCache, service

pytestmark = pytest.mark.skipif(not mb.available(), reason="../shared/realworld is not present")

PRINT = Fingerprint("AQAAC0kkSYmSJEmURDh1HPB2nEY-XDg-5ACliNRGmEQA", 200.4)


@pytest.fixture
def stand_in() -> Iterator[mb.FakeAcoustid]:
    with LoopbackServer() as server:
        yield mb.FakeAcoustid(server)


def test_a_lookup_sends_the_fingerprint_and_length_and_reads_the_results(
    stand_in: mb.FakeAcoustid, cache: MemoryCache
) -> None:
    stand_in.answer(PRINT.value, mb.hocus_pocus_lookup())
    client = AcoustidClient(service("acoustid", cache), stand_in.api_url, stand_in.api_key)
    results = client.lookup(PRINT)
    assert [r.id for r in results] == ["38338eff-b530-498c-a2ef-07e01d642187"]
    titles = [(r.title, r.duration_s) for r in results[0].recordings]
    assert ("Hocus Pocus", 200.0) in titles and ("Hocus Pocus", 204.0) in titles
    assert (None, None) in titles  # the recording AcoustID knows by its ID only
    sent = stand_in.requests[0]
    assert set(sent) == {"client", "format", "duration", "fingerprint", "meta"}
    assert sent["duration"] == "200" and sent["meta"] == "recordings releasegroups"
    assert client.lookup(PRINT) == results and len(stand_in.requests) == 1  # cached


def test_an_unknown_fingerprint_has_no_results(stand_in: mb.FakeAcoustid) -> None:
    client = AcoustidClient(service("acoustid", None), stand_in.api_url, stand_in.api_key)
    assert client.lookup(PRINT) == []


def test_a_refused_key_is_no_answer(stand_in: mb.FakeAcoustid) -> None:
    client = AcoustidClient(service("acoustid", None), stand_in.api_url, "wrong-key")
    with pytest.raises(NoAnswer, match="HTTP 400: invalid API key"):
        client.lookup(PRINT)
