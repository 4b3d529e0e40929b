"""The rescan debouncer: one scan request per server per quiet period, never one per track; a
dead or failing server is logged once per outage, retried at the next change, and never makes a
producer wait."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from spotsyncd.core.config_media import MediaServerConfig
from spotsyncd.mediaservers.base import MediaServerClient
from spotsyncd.mediaservers.rescan import RescanDebouncer
from spotsyncd.mediaservers.servers import build_client
from tests.fakes.media_servers import FakeJellyfin, FakeMediaServer, FakeNavidrome, FakePlex

LIBRARY = Path("/srv/music/spotsyncd")
QUIET = 0.4


def _wait(predicate: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError("timed out")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def fakes() -> Iterator[tuple[FakeNavidrome, FakeJellyfin, FakePlex]]:
    with (
        FakeNavidrome("admin", "nd-pass-1") as nd,
        FakeJellyfin("jf-key-1", ["/srv/music"]) as jf,
        FakePlex("px-tok-1", [("3", "artist", "Music", ["/srv/music"])]) as px,
    ):
        yield nd, jf, px


def _clients(
    nd: FakeMediaServer, jf: FakeMediaServer, px: FakeMediaServer
) -> list[MediaServerClient]:
    configs = [
        MediaServerConfig(
            type="navidrome", url=nd.url, name="navidrome", user="admin", password="nd-pass-1"
        ),
        MediaServerConfig(type="jellyfin", url=jf.url, name="jellyfin", api_key="jf-key-1"),
        MediaServerConfig(type="plex", url=px.url, name="plex", token="px-tok-1"),
    ]  # fmt: skip
    return [build_client(c, LIBRARY, timeout_s=2) for c in configs]


class Library:
    """Stands in for the ledger's last filing time."""

    def __init__(self) -> None:
        self.filed = 0

    def file_one(self) -> None:
        self.filed += 1


def test_a_30_track_batch_is_one_scan_per_server(
    fakes: tuple[FakeNavidrome, FakeJellyfin, FakePlex],
) -> None:
    nd, jf, px = fakes
    library = Library()
    rescans = RescanDebouncer(_clients(nd, jf, px), quiet_s=QUIET, probe=lambda: library.filed)
    rescans.start()
    try:
        for _ in range(30):  # tracks finishing one after the other, closer than the quiet period
            library.file_one()
            rescans.maybe_changed()
            time.sleep(0.02)
        rescans.library_changed()  # and the follow's playlist rewritten at the end
        _wait(lambda: nd.scans == jf.scans == px.scans == 1)
        time.sleep(QUIET * 3)
        assert (nd.scans, jf.scans, px.scans) == (1, 1, 1)
        assert rescans.requests == 3
        # Jobs that end without filing anything (failures) ask for nothing.
        rescans.maybe_changed()
        time.sleep(QUIET * 3)
        assert (nd.scans, jf.scans, px.scans) == (1, 1, 1)
        # The next batch is the next request.
        library.file_one()
        rescans.maybe_changed()
        _wait(lambda: nd.scans == jf.scans == px.scans == 2)
    finally:
        rescans.stop()


def test_a_long_burst_still_asks_after_max_wait(
    fakes: tuple[FakeNavidrome, FakeJellyfin, FakePlex],
) -> None:
    nd, jf, px = fakes
    rescans = RescanDebouncer(_clients(nd, jf, px), quiet_s=QUIET, max_wait_s=1.0)
    rescans.start()
    try:
        started = time.monotonic()
        while nd.scans == 0 and time.monotonic() - started < 5:
            rescans.library_changed()  # never quiet
            time.sleep(0.05)
        assert nd.scans == 1 and 0.9 < time.monotonic() - started < 3
    finally:
        rescans.stop()


def test_a_scanning_server_is_not_asked_and_looked_at_again(
    fakes: tuple[FakeNavidrome, FakeJellyfin, FakePlex],
) -> None:
    nd, jf, px = fakes
    nd.scanning = jf.scanning = px.scanning = True
    rescans = RescanDebouncer(_clients(nd, jf, px), quiet_s=QUIET)
    rescans.start()
    try:
        rescans.library_changed()
        _wait(lambda: len(px.requests) >= 2)  # it looked twice, one quiet period apart
        assert (nd.scans, jf.scans, px.scans) == (0, 0, 0)
        nd.scanning = jf.scanning = px.scanning = False
        _wait(lambda: nd.scans == jf.scans == px.scans == 1)
        time.sleep(QUIET * 3)
        assert (nd.scans, jf.scans, px.scans) == (1, 1, 1)  # no change since: no more asking
    finally:
        rescans.stop()


def test_failing_servers_are_logged_once_per_outage_and_retried_at_the_next_change(
    fakes: tuple[FakeNavidrome, FakeJellyfin, FakePlex], caplog: pytest.LogCaptureFixture
) -> None:
    nd, jf, px = fakes
    jf.fail_with = 500
    dead = MediaServerConfig(type="plex", url=f"http://127.0.0.1:{_free_port()}", name="attic",
                             token="px-tok-dead")  # fmt: skip
    clients = [*_clients(nd, jf, px), build_client(dead, LIBRARY, timeout_s=2)]
    rescans = RescanDebouncer(clients, quiet_s=QUIET)
    caplog.set_level(logging.INFO, logger="spotsyncd.mediaservers")
    rescans.start()
    try:
        for burst in range(3):
            rescans.library_changed()
            _wait(lambda n=burst: nd.scans == px.scans == n + 1)  # type: ignore[misc]
            _wait(lambda n=burst: jf.scans == n + 1)  # type: ignore[misc]
        warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
        assert len(warnings) == 2, warnings
        assert any("jellyfin" in w and "HTTP 500" in w for w in warnings)
        assert any("attic" in w and "cannot reach" in w for w in warnings)
        assert set(rescans.down()) == {clients[1].label, clients[3].label}
        jf.fail_with = None  # back: said once, and asked at the next change
        rescans.library_changed()
        _wait(lambda: jf.scans == 4)
        # The fake counts the request before the client has its answer and logs it.
        _wait(lambda: any("answers again" in r.getMessage() for r in caplog.records))
        for secret in ("nd-pass-1", "jf-key-1", "px-tok-1", "px-tok-dead"):
            assert secret not in caplog.text
    finally:
        rescans.stop()


def test_producers_never_wait_for_a_hanging_server(
    fakes: tuple[FakeNavidrome, FakeJellyfin, FakePlex],
) -> None:
    nd, jf, px = fakes
    jf.delay_s = 2.0
    rescans = RescanDebouncer(_clients(nd, jf, px), quiet_s=0.1)
    rescans.start()
    try:
        rescans.library_changed()
        _wait(lambda: len(jf.requests) == 1)  # the thread is stuck in the slow server now
        worst = 0.0
        for _ in range(200):
            started = time.perf_counter()
            rescans.maybe_changed()
            worst = max(worst, time.perf_counter() - started)
        assert worst < 0.05
    finally:
        rescans.stop(flush_timeout_s=0.2)


def test_stop_sends_a_burst_that_is_still_waiting(
    fakes: tuple[FakeNavidrome, FakeJellyfin, FakePlex],
) -> None:
    nd, jf, px = fakes
    rescans = RescanDebouncer(_clients(nd, jf, px), quiet_s=60)
    rescans.start()
    rescans.library_changed()
    started = time.monotonic()
    rescans.stop(flush_timeout_s=5)
    assert (nd.scans, jf.scans, px.scans) == (1, 1, 1) and time.monotonic() - started < 5


def test_no_servers_no_thread() -> None:
    rescans = RescanDebouncer([], quiet_s=1)
    rescans.start()
    rescans.library_changed()
    assert rescans._thread is None  # nothing to tell: no thread, no work
    rescans.stop()
