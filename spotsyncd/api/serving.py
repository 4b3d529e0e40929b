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

TICK_S = 1.0


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
