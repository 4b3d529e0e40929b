"""Uvicorn in its own thread inside the daemon.

``start_web`` binds the socket at once (so a taken port is known before READY and reported, while
the daemon carries on) and imports FastAPI and Uvicorn in the server thread, so they cost the
daemon's start nothing. This module imports only the standard library at load time.
"""

from __future__ import annotations

import errno
import logging
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from spotsyncd.core.config import Config
from spotsyncd.core.config_values import is_loopback
from spotsyncd.ledger import Ledger

log = logging.getLogger(__name__)


@dataclass
class WebState:
    """What status and doctor show: running, where, or why not."""

    running: bool = False
    url: str | None = None
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"running": self.running, "url": self.url, "error": self.error}


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets that say they are TCP, and
    # without it every answer written in two parts (headers, body) waits ~40 ms for the
    # client's delayed ACK (Nagle), whatever the handler costs.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
        sock.set_inheritable(True)
    except BaseException:
        sock.close()
        raise
    return sock


def _url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    if host in ("0.0.0.0", "::"):
        shown = "127.0.0.1"
    return f"http://{shown}:{port}"


def _why(exc: OSError, listen: str) -> str:
    if exc.errno == errno.EADDRINUSE:
        return (
            f"{listen} is already in use (another spotsyncd or program); set web.listen to "
            "another port, e.g. 127.0.0.1:8643"
        )
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"not allowed to listen on {listen}; use a port above 1024 in web.listen"
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"{listen}: no such address on this machine; fix web.listen"
    return f"cannot listen on {listen}: {exc.strerror}"


class WebServer:
    def __init__(self, config: Config, ledger: Ledger, nudge: Callable[[], None]) -> None:
        self.config = config
        self.ledger = ledger
        self.nudge = nudge
        self.state = WebState()
        self._server: Any = None
        self._hub: Any = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()

    def start(self) -> WebState:
        """Bind and serve in a thread. Never raises: a problem is logged and kept in ``state``."""
        web = self.config.web
        try:
            sock = bind(web.host, web.port)
        except OSError as exc:
            self.state = WebState(error=_why(exc, web.listen))
            log.error("web: off: %s; the daemon works on without it", self.state.error)
            return self.state
        port = int(sock.getsockname()[1])
        if not is_loopback(web.host):
            log.warning(
                "web: listening on %s, reachable from other machines (web.allow_remote); every "
                "request still needs the token",
                web.listen,
            )
        self.state = WebState(running=True, url=_url(web.host, port))
        self._thread = threading.Thread(
            target=self._serve, args=(sock, port), name="spotsyncd-web", daemon=True
        )
        self._thread.start()
        return self.state

    def _serve(self, sock: socket.socket, port: int) -> None:
        try:
            import uvicorn

            from spotsyncd.api.app import create_app
            from spotsyncd.api.context import WebContext
            from spotsyncd.api.hub import EventHub
            from spotsyncd.api.serving import MAX_CONNECTIONS, HeaderTimeoutProtocol, QuietServer
            from spotsyncd.system.webauth import TokenStore, load_or_create_token

            load_or_create_token(self.config.state_dir)
            hub = EventHub(self.ledger)
            hub.start()
            self._hub = hub
            ctx = WebContext(
                config=self.config,
                ledger=self.ledger,
                tokens=TokenStore(self.config.state_dir),
                hub=hub,
                port=port,
                nudge=self.nudge,
            )
            server = QuietServer(
                uvicorn.Config(
                    create_app(ctx),
                    log_level="warning",
                    access_log=False,
                    lifespan="off",
                    timeout_graceful_shutdown=2,
                    server_header=False,
                    proxy_headers=False,
                    http=HeaderTimeoutProtocol,
                    limit_concurrency=MAX_CONNECTIONS,
                    timeout_keep_alive=5,
                )
            )
            self._server = server
            self._ready.set()
            log.info("web: dashboard and API at %s ('spotsyncd web' prints a login link)",
                     self.state.url)  # fmt: skip
            server.run(sockets=[sock])
        except Exception as exc:  # noqa: BLE001 - the web must never take the daemon down
            log.exception("web: stopped by an error; the daemon works on without it")
            self.state = WebState(error=f"stopped by an error: {exc}")
        finally:
            self._ready.set()
            sock.close()

    def wait_ready(self, timeout_s: float = 10.0) -> bool:
        """Wait until the app is built and Uvicorn serves (or gave up)."""
        if not self._ready.wait(timeout_s) or self._server is None:
            return False
        deadline = time.monotonic() + timeout_s
        while not self._server.started and time.monotonic() < deadline:
            if self._thread is None or not self._thread.is_alive():
                return False
            time.sleep(0.01)
        return bool(self._server.started)

    def status(self) -> dict[str, Any]:
        return self.state.to_json()

    def stop(self, timeout_s: float = 3.0) -> None:
        if self._thread is None:
            return
        self._ready.wait(timeout_s)
        if self._hub is not None:
            self._hub.stop()  # ends every /events stream, so the server can finish
        if self._server is not None:
            self._server.stop_soon()
        self._thread.join(timeout_s)
        if self._thread.is_alive() and self._server is not None:
            self._server.force_exit = True
            self._thread.join(1.0)


def start_web(config: Config, ledger: Ledger, nudge: Callable[[], None]) -> WebServer:
    server = WebServer(config, ledger, nudge)
    server.start()
    return server
