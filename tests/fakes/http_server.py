"""A real HTTP server on loopback for tests: static bytes with Range support, scripted faults.

    with LoopbackServer() as server:
        server.add("/a.mp3", data, "audio/mpeg")
        server.fail("/b.mp3", [503, 503])      # two 503s, then the file
    server.storm(30)                        # from the next request on, 503s for 30 s
    server.go_offline(); server.go_online() # refuse connections for a while
        url = server.url("/a.mp3")

Every request is counted (``server.hits["/a.mp3"]``), and so are the files being sent at once
(``server.most_in_flight``: the most ever). Stops and closes its port on exit.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Resource:
    body: bytes
    content_type: str = "application/octet-stream"
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 200


Handler = Callable[[BaseHTTPRequestHandler], None]


class _QuietServer(ThreadingHTTPServer):
    """Clients that hang up mid-request (cancelled or timed-out downloads) are expected here;
    anything else is still printed."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class LoopbackServer:
    def __init__(self) -> None:
        self.resources: dict[str, Resource] = {}
        self.handlers: dict[str, Handler] = {}
        self.faults: dict[str, list[Any]] = defaultdict(list)
        self.hits: Counter[str] = Counter()
        self.in_flight: Counter[str] = Counter()  # requests being answered now, by path
        self.most_in_flight = 0  # the most files ever answered at once
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.bodies: defaultdict[str, list[bytes]] = defaultdict(list)  # request bodies by path
        self.lock = threading.Lock()
        self.storm_until = 0.0  # until this time.monotonic(), every request gets storm_status
        self.storm_status = 503
        self._storm_armed: float | None = None  # a storm's length, started by the next request
        self.bytes_per_s: float | None = None  # bodies trickle at this rate (see pace)
        owner = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def do_HEAD(self) -> None:  # noqa: N802
                owner._serve(self, head=True)

            def do_GET(self) -> None:  # noqa: N802
                owner._serve(self, head=False)

            def do_POST(self) -> None:  # noqa: N802
                owner._serve(self, head=False)

        self._handler = _Handler
        self.online = True
        self._reserved: socket.socket | None = None  # holds the port while offline
        self._listen(0)

    def _listen(self, port: int) -> None:
        self.httpd = _QuietServer(("127.0.0.1", port), self._handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # -- set-up
    def __enter__(self) -> LoopbackServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.online:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.thread.join(timeout=5)
        self.online = False
        if self._reserved is not None:
            self._reserved.close()
            self._reserved = None

    def go_offline(self) -> None:
        """Stop listening: every new connection is refused until ``go_online`` (transfers in
        flight finish). What a client sees when the network or the host is gone.

        The listening socket is shut first, so that connections are refused from this moment
        on, not accepted into the backlog while ``serve_forever`` winds down. The port stays
        ours while offline (bound, not listening: connections are refused); closed, another
        test running alongside could be given it and answer in our place."""
        if self.online:
            with contextlib.suppress(OSError):
                self.httpd.socket.shutdown(socket.SHUT_RDWR)
        self.close()
        reserved = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        reserved.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        reserved.bind(("127.0.0.1", self.port))
        self._reserved = reserved

    def go_online(self) -> None:
        """Listen again on the same port."""
        if self._reserved is not None:
            self._reserved.close()
            self._reserved = None
        self._listen(self.port)
        self.thread.start()
        self.online = True

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def add(
        self, path: str, body: bytes, content_type: str = "application/octet-stream", **headers: str
    ) -> str:
        self.resources[path] = Resource(body, content_type, dict(headers))
        return self.url(path)

    def remove(self, path: str) -> None:
        self.resources.pop(path, None)

    def route(self, path: str, handler: Handler) -> str:
        self.handlers[path] = handler
        return self.url(path)

    def storm(self, seconds: float, status: int = 503) -> None:
        """Answer every request with ``status`` for ``seconds`` from the next request on (a
        server outage that starts when the client first calls)."""
        self.storm_status = status
        self._storm_armed = seconds

    def pace(self, bytes_per_s: float) -> None:
        """Send every body at about this rate, as a slow link would: a download takes time,
        so a client stopped mid-transfer leaves a partial file."""
        self.bytes_per_s = bytes_per_s

    def fail(self, path: str, faults: list[Any]) -> None:
        """Queue faults for ``path``: an int status (with Retry-After: 1 for 429), "close"
        (drop the connection after half the body), or ("stall", seconds)."""
        self.faults[path].extend(faults)

    # -- serving
    def _serve(self, req: BaseHTTPRequestHandler, head: bool) -> None:
        """Count the transfers under way at once: the files being answered (``in_flight``,
        ``most_in_flight``). A client's second request for a file while the server still
        winds down its first (yt-dlp looks at a direct link, then downloads it) is one."""
        path = req.path.split("?", 1)[0]
        with self.lock:
            self.in_flight[path] += 1
            self.most_in_flight = max(self.most_in_flight, len(+self.in_flight))
        req.counted_path = path  # type: ignore[attr-defined]
        try:
            self._answer(req, head)
        finally:
            self._sent(req)

    def _sent(self, req: BaseHTTPRequestHandler) -> None:
        """The transfer is over: called as its last piece goes out (the client may take the
        next turn at once, before this thread runs again on a loaded machine), else at the end."""
        path = getattr(req, "counted_path", None)
        if path is None:
            return
        req.counted_path = None  # type: ignore[attr-defined]
        with self.lock:
            self.in_flight[path] -= 1

    def _answer(self, req: BaseHTTPRequestHandler, head: bool) -> None:
        path = req.path.split("?", 1)[0]
        with self.lock:
            self.hits[path] += 1
            self.requests.append((req.command, req.path, dict(req.headers)))
            fault = self.faults[path].pop(0) if self.faults.get(path) else None
            if self._storm_armed is not None:
                self.storm_until = time.monotonic() + self._storm_armed
                self._storm_armed = None
            if fault is None and time.monotonic() < self.storm_until:
                fault = self.storm_status
        length = int(req.headers.get("Content-Length") or 0)
        body_in = req.rfile.read(length) if length else b""
        with self.lock:
            self.bodies[path].append(body_in)
        req.request_body = body_in  # type: ignore[attr-defined]
        if path in self.handlers and fault is None:
            self.handlers[path](req)
            return
        resource = self.resources.get(path)
        if isinstance(fault, int):
            body = f"error {fault}".encode()
            req.send_response(fault)
            if fault == 429:
                req.send_header("Retry-After", "1")
            req.send_header("Content-Length", str(len(body)))
            req.end_headers()
            req.wfile.write(body)
            return
        if resource is None:
            body = b"not found"
            req.send_response(404)
            req.send_header("Content-Length", str(len(body)))
            req.end_headers()
            req.wfile.write(body)
            return
        body = resource.body
        start, end = 0, len(body) - 1
        status = resource.status
        range_header = req.headers.get("Range")
        if range_header and range_header.startswith("bytes=") and status == 200:
            first, _, last = range_header[6:].partition("-")
            start = int(first or 0)
            end = int(last) if last else len(body) - 1
            if start >= len(body):
                req.send_response(416)
                req.send_header("Content-Range", f"bytes */{len(body)}")
                req.send_header("Content-Length", "0")
                req.end_headers()
                return
            status = 206
        chunk = body[start : end + 1]
        req.send_response(status)
        req.send_header("Content-Type", resource.content_type)
        req.send_header("Content-Length", str(len(chunk)))
        req.send_header("Accept-Ranges", "bytes")
        if status == 206:
            req.send_header("Content-Range", f"bytes {start}-{end}/{len(body)}")
        for name, value in resource.headers.items():
            req.send_header(name.replace("_", "-"), value)
        req.end_headers()
        if head:
            return
        try:
            if fault == "close":
                req.wfile.write(chunk[: len(chunk) // 2])
                req.wfile.flush()
                req.close_connection = True
                return
            if isinstance(fault, tuple) and fault[0] == "stall":
                req.wfile.write(chunk[: len(chunk) // 4])
                req.wfile.flush()
                time.sleep(float(fault[1]))
                req.close_connection = True
                return
            self._send_body(req, chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _send_body(self, req: BaseHTTPRequestHandler, body: bytes) -> None:
        rate = self.bytes_per_s
        if not rate:
            req.wfile.write(body)
            return
        piece = max(1024, int(rate / 20))  # twenty pieces a second
        for start in range(0, len(body), piece):
            if _hung_up(req.connection):
                return  # the client has gone (it read what it needed): the transfer is over
            if start + piece >= len(body):
                self._sent(req)
            req.wfile.write(body[start : start + piece])
            req.wfile.flush()
            time.sleep(piece / rate)


def _hung_up(conn: socket.socket) -> bool:
    """The peer closed the connection: it is readable and has nothing more to say. (Loopback's
    socket buffers take a whole test file, so writing would not notice for a long time.)"""
    import select

    try:
        readable, _, _ = select.select([conn], [], [], 0)
        return bool(readable) and conn.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True
