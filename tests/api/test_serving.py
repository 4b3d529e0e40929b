"""The web server as the daemon runs it (Uvicorn on loopback): quick answers over a kept-alive
connection (TCP_NODELAY: no delayed-ACK wait), a fresh Date header, one loop tick a second
when idle, and a stop that does not wait for the next tick."""

from __future__ import annotations

import email.utils
import statistics
import time

import httpx
import pytest

from spotsyncd.api.serving import QuietServer
from tests.api.conftest import Live


def test_answers_come_without_a_delayed_ack_wait(live: Live) -> None:
    with httpx.Client(base_url=live.url, headers=live.auth, timeout=10) as client:
        client.get("/api/v1/healthz")
        samples = []
        for _ in range(15):
            started = time.perf_counter()
            assert client.get("/api/v1/healthz").status_code == 200
            samples.append(time.perf_counter() - started)
    # Without TCP_NODELAY each answer waited ~40 ms for the client's delayed ACK.
    assert statistics.median(samples) < 0.030, samples


@pytest.mark.e2e
def test_the_date_header_is_current(live: Live) -> None:
    """The header is refreshed by the server's tick, not kept from its start: 3 s after the
    start it must be newer than 2.5 s (a whole-second value, a tick late at most) before the
    request was sent, however long a loaded machine took to answer it."""
    time.sleep(3.0)
    with httpx.Client(base_url=live.url, headers=live.auth, timeout=10) as client:
        sent = time.time()
        date = client.get("/api/v1/healthz").headers["date"]
    stamp = email.utils.parsedate_to_datetime(date).timestamp()
    assert sent - 2.5 < stamp <= time.time()


@pytest.mark.e2e
def test_idle_it_ticks_once_a_second_and_stops_at_once(live: Live) -> None:
    server = live.server._server
    assert isinstance(server, QuietServer)
    ticks = []
    original = server.on_tick

    async def counting(counter: int) -> bool:
        ticks.append(time.monotonic())
        return await original(counter)

    server.on_tick = counting  # type: ignore[method-assign]
    time.sleep(2.5)
    assert 1 <= len(ticks) <= 4, ticks  # Uvicorn's own loop: 25
    started = time.monotonic()
    live.server.stop()
    assert time.monotonic() - started < 0.8
    assert not live.server._thread or not live.server._thread.is_alive()
