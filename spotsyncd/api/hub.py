"""Live events for ``/events``: the ledger's ``events`` table is the durable source (every
message with an ``id`` is a row there, so ``Last-Event-ID`` resumes without loss), and the
ledger's after-commit hook wakes this hub at once, so a change reaches clients in milliseconds
without anyone polling. Running jobs' progress (not kept as events) rides along without an id.

One thread reads the ledger after each wake-up (wake-ups that arrive meanwhile coalesce) and
hands each message to every subscriber's asyncio queue. A subscriber that falls too far behind
is cut off; its browser reconnects with ``Last-Event-ID`` and catches up from the table.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from spotsyncd.api.readable import track_label

log = logging.getLogger(__name__)

QUEUE_SIZE = 2000
BATCH = 500
# Circuits and follow polls live outside the ledger's job rows; a slow check catches changes
# made by another process (the CLI nudges the daemon, which calls ``notify`` too).
SAFETY_POLL_S = 30.0
CLOSE = None  # the message that ends a subscriber's stream


class Subscriber:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(QUEUE_SIZE)
        self.overflowed = False

    def offer(self, message: dict[str, Any] | None) -> None:
        """From the hub's thread: queue ``message`` in the subscriber's loop."""
        with contextlib.suppress(RuntimeError):  # a closed loop: the server is stopping
            self.loop.call_soon_threadsafe(self._put, message)

    def _put(self, message: dict[str, Any] | None) -> None:
        if self.overflowed:
            return
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            self.overflowed = True
            self.queue = asyncio.Queue(1)
            self.queue.put_nowait(CLOSE)


def event_message(row: dict[str, Any]) -> dict[str, Any]:
    """A ledger event as the stream sends it."""
    message = {k: v for k, v in row.items() if v is not None}
    if message.get("key"):
        label = track_label(message["key"], message.get("url") or "", row.get("title"),
                            row.get("artist"))  # fmt: skip
        message["label"] = label
    message["type"] = "event"
    return message


class HubLedger(Protocol):
    """The event log after an id, running jobs' progress, and a call after each write
    (``ledger.Ledger`` has them: its ``EventLog``, ``Browse`` and ``Store``)."""

    def add_listener(self, callback: Callable[[], None]) -> None: ...
    def last_event_id(self) -> int: ...
    def events_after(self, after_id: int, limit: int = 500) -> list[dict[str, Any]]: ...
    def progress_of_running(self) -> dict[str, dict[str, Any]]: ...


class EventHub:
    def __init__(self, ledger: HubLedger) -> None:
        self.ledger = ledger
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._subscribers: set[Subscriber] = set()
        self._last_id = 0
        self._progress: dict[str, dict[str, Any]] = {}
        self._thread: threading.Thread | None = None
        self.published = 0

    # -- lifecycle
    def start(self) -> None:
        self._last_id = self.ledger.last_event_id()
        self._progress = self.ledger.progress_of_running()
        self.ledger.add_listener(self.notify)
        self._thread = threading.Thread(target=self._run, name="spotsyncd-web-events", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        with self._lock:
            subscribers = list(self._subscribers)
        for subscriber in subscribers:
            subscriber.offer(CLOSE)
        if self._thread is not None:
            self._thread.join(timeout=2)

    def notify(self) -> None:
        """Something was written: look soon (called in writers' threads; returns at once)."""
        self._wake.set()

    # -- subscribers
    def subscribe(self) -> Subscriber:
        subscriber = Subscriber(asyncio.get_running_loop())
        with self._lock:
            self._subscribers.add(subscriber)
            if self._stop.is_set():
                subscriber.offer(CLOSE)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        with self._lock:
            self._subscribers.discard(subscriber)

    @property
    def subscribers(self) -> int:
        with self._lock:
            return len(self._subscribers)

    # -- the reader thread
    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(SAFETY_POLL_S)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self._read_and_publish()
            except Exception:  # noqa: BLE001 - a busy ledger must not end the stream
                log.exception("web: reading new events failed; retrying on the next change")
                time.sleep(0.5)

    def _read_and_publish(self) -> None:
        messages: list[dict[str, Any]] = []
        while True:
            rows = self.ledger.events_after(self._last_id, BATCH)
            for row in rows:
                messages.append(event_message(row))
                self._last_id = int(row["id"])
            if len(rows) < BATCH:
                break
        progress = self.ledger.progress_of_running()
        for key, value in progress.items():
            if self._progress.get(key) != value:
                messages.append({"type": "progress", "key": key, **value})
        self._progress = progress
        if messages:
            self._publish(messages)

    def _publish(self, messages: list[dict[str, Any]]) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for subscriber in subscribers:
            for message in messages:
                subscriber.offer(message)
        self.published += len(messages)
