"""``doctor`` asks AcoustID whether it takes ``acoustid.api_key`` (a loopback stand-in that
answers as AcoustID does: error code 4 for a key it does not know)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from spotsyncd.core.config import AcoustidConfig, Config
from spotsyncd.engine.health.acoustid_key import acoustid_key_check
from tests.fakes import musicbrainz as mb
from tests.fakes.http_server import LoopbackServer


@pytest.fixture
def stand_in() -> Iterator[mb.FakeAcoustid]:
    with LoopbackServer() as server:
        yield mb.FakeAcoustid(server)


def _config(key: str | None, url: str) -> Config:
    return Config(log_file=None, acoustid=AcoustidConfig(api_key=key, api_url=url))


def test_a_key_acoustid_knows_is_taken(stand_in: mb.FakeAcoustid) -> None:
    [check] = acoustid_key_check(_config(stand_in.api_key, stand_in.api_url))
    assert (check.name, check.status) == ("acoustid key", "ok")
    [asked] = stand_in.requests
    assert asked["client"] == stand_in.api_key and "fingerprint" not in asked  # no music sent


def test_a_key_acoustid_refuses_fails_with_which_key_to_copy(stand_in: mb.FakeAcoustid) -> None:
    [check] = acoustid_key_check(_config("my-user-key", stand_in.api_url))
    assert check.status == "fail" and "invalid API key" in check.detail
    assert "unverified" in check.detail and "application" in check.fix
    assert "user API key" in check.fix


def test_without_a_key_nothing_is_asked(stand_in: mb.FakeAcoustid) -> None:
    assert list(acoustid_key_check(_config(None, stand_in.api_url))) == []
    assert stand_in.requests == []


def test_an_unreachable_acoustid_is_a_warning_not_a_verdict() -> None:
    with socket.socket() as free:  # a port nobody listens on
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    [check] = acoustid_key_check(_config("k", f"http://127.0.0.1:{port}/v2/"))
    assert check.status == "warn" and "could not ask AcoustID" in check.detail


def test_an_answer_that_is_not_json_is_a_warning() -> None:
    [check] = acoustid_key_check(_config("k", "http://x/v2/"), ask=lambda url, form: b"<html>")
    assert check.status == "warn"
