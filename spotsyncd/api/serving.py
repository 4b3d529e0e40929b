"""Uvicorn's server, ticking once a second instead of ten times.

Uvicorn's main loop wakes every 0.1 s to refresh its ``Date`` header and look for the exit
flag. In an idle daemon those wake-ups are most of what the web costs (0.35 % of a core with
the web on against 0.07 % off, ``python -m bench --only web``). Once a second does both jobs;
``stop`` wakes the loop at once, so shutting down is not slower for it. Imported in the web
thread only (it imports Uvicorn), never at the daemon's start.
"""

from __future__ import annotations

import asyncio
import contextlib

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

TICK_S = 1.0
HEADER_TIMEOUT_S = 10.0  # a request's headers must arrive whole within this
MAX_CONNECTIONS = 200  # past this, Uvicorn answers 503 at once instead of holding more


class HeaderTimeoutProtocol(H11Protocol):
    """Uvicorn's HTTP/1.1 protocol with a deadline on each request's headers: its own keep-alive
    timer stops at the first byte, so a client sending a byte now and then (slowloris) would
    keep a connection forever. The deadline starts when the connection opens, and again after
    each answer; a complete request line and headers cancel it."""

    _header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def _arm(self) -> None:
        self._disarm()
        self._header_timer = self.loop.call_later(HEADER_TIMEOUT_S, self._headers_too_slow)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            self.transport.close()

    def handle_events(self) -> None:
        before = self.cycle
        super().handle_events()
        if self.cycle is not before:  # a whole request line and headers came in
            self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)


class QuietServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None

    async def main_loop(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        # counter 0 on every tick: the Date header is refreshed each time (once a second).
        while not await self.on_tick(0):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), TICK_S)

    def stop_soon(self) -> None:
        """From any thread: finish now (open connections get Uvicorn's graceful shutdown)."""
        self.should_exit = True
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:
            with contextlib.suppress(RuntimeError):  # the loop already closed
                loop.call_soon_threadsafe(wake.set)
