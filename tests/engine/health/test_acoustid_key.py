"""``doctor`` and the daemon's source health ask AcoustID whether it takes
``acoustid.api_key`` (a loopback stand-in that answers as AcoustID does: error code 4 for a key
it does not know)."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from spotsyncd.core.config import AcoustidConfig, Config
from spotsyncd.core.protocols import Adapters
from spotsyncd.engine.health.acoustid_key import acoustid_key_check
from spotsyncd.engine.health.canaries import canaries_for
from spotsyncd.engine.health.source_watch import SourceWatch
from spotsyncd.ledger import Ledger
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


def test_a_refused_key_turns_the_acoustid_source_failing_once(
    stand_in: mb.FakeAcoustid, tmp_path: Path
) -> None:
    """The daemon's canary, in a turn of AcoustID's budget: a refused key is one
    ``source_failing`` event (one notification) with the fix, and fixing it one recovery."""
    turns: list[str] = []

    @contextlib.contextmanager
    def turn(source: str) -> Iterator[None]:
        turns.append(source)
        yield

    config = {"now": _config("my-user-key", stand_in.api_url)}
    adapters = Adapters(downloader=None, processor=None, tagger=None)  # type: ignore[arg-type]
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    watch = SourceWatch(
        lambda: config["now"],
        ledger,
        lambda: [
            c
            for c in canaries_for(config["now"], ledger, adapters, turn=turn)
            if c.name == "acoustid"
        ],  # fmt: skip
    )
    try:
        assert watch.run_round() == {"acoustid": "failing"}
        assert watch.run_round() == {"acoustid": None}
        (row,) = ledger.health_rows()
        assert row["error_class"] == "invalid_key" and "invalid API key" in row["error"]
        assert "application" in row["fix"]
        config["now"] = _config(stand_in.api_key, stand_in.api_url)
        assert watch.run_round() == {"acoustid": "recovered"}
        kinds = [e["kind"] for e in ledger.events_after(0)]
        assert kinds == ["source_failing", "source_recovered"]
        assert turns == ["acoustid"] * 3
    finally:
        ledger.close()


def test_an_acoustid_that_cannot_be_asked_is_not_called_a_refused_key(tmp_path: Path) -> None:
    """Down or unreachable: the canary fails with what the request says, not ``invalid_key``
    and its fix about which key to copy."""
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    config = _config("k", f"http://127.0.0.1:{port}/v2/")
    adapters = Adapters(downloader=None, processor=None, tagger=None)  # type: ignore[arg-type]
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    watch = SourceWatch(
        lambda: config,
        ledger,
        lambda: [c for c in canaries_for(config, ledger, adapters) if c.name == "acoustid"],
    )
    try:
        assert watch.run_round() == {"acoustid": "failing"}
        (row,) = ledger.health_rows()
        assert row["error_class"] != "invalid_key" and "application" not in (row["fix"] or "")
    finally:
        ledger.close()
