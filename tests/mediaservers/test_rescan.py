"""The rescan debouncer: one scan request per server per quiet period, never one per track; a
dead or failing server is logged once per outage, retried at the next change, and never makes a
producer wait."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from spotsyncd.core.config_media import MediaServerConfig
from spotsyncd.mediaservers.base import MediaServerClient
from spotsyncd.mediaservers.rescan import RescanDebouncer
from spotsyncd.mediaservers.servers import build_client
from tests.fakes.media_servers import FakeJellyfin, FakeMediaServer, FakeNavidrome, FakePlex
from tests.support.clock import FakeClock
from tests.support.waiting import wait_for

LIBRARY = Path("/srv/music/spotsyncd")
QUIET = 2.0  # on a FakeClock: seconds the test moves it, not seconds it waits


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


def test_a_30_track_batch_is_one_scan_per_server_one_quiet_period_after_the_last(
    fakes: tuple[FakeNavidrome, FakeJellyfin, FakePlex],
) -> None:
    nd, jf, px = fakes
    library = Library()
    clock = FakeClock()
    rescans = RescanDebouncer(
        _clients(nd, jf, px), quiet_s=QUIET, probe=lambda: library.filed, clock=clock
    )
    for _ in range(30):  # tracks finishing one after the other, closer than the quiet period
        library.file_one()
        rescans.maybe_changed()
        clock.advance(QUIET / 4)
        assert not rescans.send_if_due()
    rescans.library_changed()  # and the follow's playlist rewritten at the end
    clock.advance(QUIET - 0.5)
    assert not rescans.send_if_due() and (nd.scans, jf.scans, px.scans) == (0, 0, 0)
    clock.advance(0.5)  # exactly one quiet period after the last change
    assert rescans.send_if_due()
    assert (nd.scans, jf.scans, px.scans) == (1, 1, 1) and rescans.requests == 3
    clock.advance(QUIET * 3)
    assert not rescans.send_if_due()
    # Jobs that end without filing anything (failures) ask for nothing.
    rescans.maybe_changed()
    clock.advance(QUIET)
    assert rescans.send_if_due() and (nd.scans, jf.scans, px.scans) == (1, 1, 1)
    # The next batch is the next request.
    library.file_one()
    rescans.maybe_changed()
    clock.advance(QUIET)
    assert rescans.send_if_due() and (nd.scans, jf.scans, px.scans) == (2, 2, 2)


def test_a_long_burst_still_asks_after_max_wait(
    fakes: tuple[FakeNavidrome, FakeJellyfin, FakePlex],
) -> None:
    nd, jf, px = fakes
    clock = FakeClock()
    rescans = RescanDebouncer(_clients(nd, jf, px), quiet_s=QUIET, max_wait_s=8.0, clock=clock)
    started = clock()
    while True:
        rescans.library_changed()  # never quiet: a change every half second
        if rescans.send_if_due():
            break
        assert clock() - started < 60, "a burst that never goes quiet was never sent"
        clock.advance(0.5)
    assert clock() - started == 8.0
    assert (nd.scans, jf.scans, px.scans) == (1, 1, 1)


def test_a_scanning_server_is_not_asked_and_looked_at_again_one_quiet_period_later(
    fakes: tuple[FakeNavidrome, FakeJellyfin, FakePlex],
) -> None:
    nd, jf, px = fakes
    nd.scanning = jf.scanning = px.scanning = True
    clock = FakeClock()
    rescans = RescanDebouncer(_clients(nd, jf, px), quiet_s=QUIET, clock=clock)
    rescans.library_changed()
    clock.advance(QUIET)
    assert rescans.send_if_due()
    looked = [len(s.requests) for s in (nd, jf, px)]
    assert all(looked) and (nd.scans, jf.scans, px.scans) == (0, 0, 0)
    clock.advance(QUIET - 0.5)
    assert not rescans.send_if_due()
    clock.advance(0.5)
    assert rescans.send_if_due()  # looked again, still scanning
    assert [len(s.requests) for s in (nd, jf, px)] == [2 * n for n in looked]
    assert (nd.scans, jf.scans, px.scans) == (0, 0, 0)
    nd.scanning = jf.scanning = px.scanning = False
    clock.advance(QUIET)
    assert rescans.send_if_due() and (nd.scans, jf.scans, px.scans) == (1, 1, 1)
    clock.advance(QUIET * 3)
    assert not rescans.send_if_due()  # no change since: no more asking
    assert (nd.scans, jf.scans, px.scans) == (1, 1, 1)


def test_failing_servers_are_logged_once_per_outage_and_retried_at_the_next_change(
    fakes: tuple[FakeNavidrome, FakeJellyfin, FakePlex], caplog: pytest.LogCaptureFixture
) -> None:
    nd, jf, px = fakes
    jf.fail_with = 500
    dead = MediaServerConfig(type="plex", url=f"http://127.0.0.1:{_free_port()}", name="attic",
                             token="px-tok-dead")  # fmt: skip
    clients = [*_clients(nd, jf, px), build_client(dead, LIBRARY, timeout_s=2)]
    clock = FakeClock()
    rescans = RescanDebouncer(clients, quiet_s=QUIET, clock=clock)
    caplog.set_level(logging.INFO, logger="spotsyncd.mediaservers")
    for burst in range(3):
        rescans.library_changed()
        clock.advance(QUIET)
        assert rescans.send_if_due()
        assert (nd.scans, jf.scans, px.scans) == (burst + 1,) * 3
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 2, warnings
    assert any("jellyfin" in w and "HTTP 500" in w for w in warnings)
    assert any("attic" in w and "cannot reach" in w for w in warnings)
    assert set(rescans.down()) == {clients[1].label, clients[3].label}
    jf.fail_with = None  # back: said once, and asked at the next change
    rescans.library_changed()
    clock.advance(QUIET)
    assert rescans.send_if_due() and jf.scans == 4
    assert any("answers again" in r.getMessage() for r in caplog.records)
    for secret in ("nd-pass-1", "jf-key-1", "px-tok-1", "px-tok-dead"):
        assert secret not in caplog.text


def test_the_thread_asks_by_itself_once_the_quiet_period_is_over(
    fakes: tuple[FakeNavidrome, FakeJellyfin, FakePlex],
) -> None:
    nd, jf, px = fakes
    rescans = RescanDebouncer(_clients(nd, jf, px), quiet_s=0.1)
    rescans.start()
    try:
        rescans.library_changed()
        wait_for(lambda: (nd.scans, jf.scans, px.scans) == (1, 1, 1), 30, what="one scan each")
    finally:
        rescans.stop()
    assert rescans.requests == 3


def test_producers_never_wait_for_a_hanging_server(
    fakes: tuple[FakeNavidrome, FakeJellyfin, FakePlex],
) -> None:
    nd, jf, px = fakes
    jf.delay_s = 2.0
    rescans = RescanDebouncer(_clients(nd, jf, px), quiet_s=0.1)
    rescans.start()
    try:
        rescans.library_changed()
        # the thread is stuck in the slow server now
        wait_for(lambda: len(jf.requests) == 1, 30, what="the request to the slow server")
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
    clock = FakeClock()  # never moved: the quiet period never ends by itself
    rescans = RescanDebouncer(_clients(nd, jf, px), quiet_s=QUIET, clock=clock)
    rescans.start()
    rescans.library_changed()
    assert not rescans.send_if_due()
    rescans.stop(flush_timeout_s=5)
    assert (nd.scans, jf.scans, px.scans) == (1, 1, 1)


def test_no_servers_no_thread() -> None:
    rescans = RescanDebouncer([], quiet_s=1)
    rescans.start()
    rescans.library_changed()
    assert rescans._thread is None  # nothing to tell: no thread, no work
    rescans.stop()
