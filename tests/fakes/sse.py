"""A Server-Sent Events client for tests: reads ``/api/v1/events`` in a thread and hands over
each parsed message (the JSON of its ``data:``; ``id:`` checked against the payload)."""

from __future__ import annotations

import contextlib
import json
import queue
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx


class SseClient:
    def __init__(self, base_url: str, headers: dict[str, str], last_event_id: int | None = None):
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self.received_at: dict[int, float] = {}  # event id → monotonic time it arrived
        self.opened = threading.Event()
        self._stop = threading.Event()
        self._socket: socket.socket | None = None
        headers = dict(headers)
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        self._client = httpx.Client(base_url=base_url, headers=headers, timeout=30)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        if not self.opened.wait(15):
            self.close()
            raise AssertionError("the event stream did not open")

    def _run(self) -> None:
        try:
            with self._client.stream("GET", "/api/v1/events") as response:
                assert response.status_code == 200, response.read()
                assert response.headers["content-type"].startswith("text/event-stream")
                stream = response.extensions.get("network_stream")
                if stream is not None:
                    self._socket = stream.get_extra_info("socket")
                event: dict[str, str] = {}
                for line in response.iter_lines():
                    if self._stop.is_set():
                        return
                    if line.startswith(":"):
                        self.opened.set()
                    elif line.startswith(("id:", "data:")):
                        name, _, value = line.partition(":")
                        event[name] = value.strip()
                    elif not line and event:
                        data = json.loads(event["data"])
                        if "id" in event:
                            assert int(event["id"]) == data["id"]
                            self.received_at[data["id"]] = time.monotonic()
                        self.messages.put(data)
                        event = {}
        except (httpx.HTTPError, RuntimeError):
            pass

    def next(self, timeout: float = 5) -> dict[str, Any]:
        return self.messages.get(timeout=timeout)

    def until(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 5
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            message = self.next(max(0.01, deadline - time.monotonic()))
            if predicate(message):
                return message

    def close(self) -> None:
        self._stop.set()
        if self._socket is not None:  # wakes the reader now, not at the next heartbeat
            with contextlib.suppress(OSError):
                self._socket.shutdown(socket.SHUT_RDWR)
        self._client.close()
        self.thread.join(5)

    def __enter__(self) -> SseClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
