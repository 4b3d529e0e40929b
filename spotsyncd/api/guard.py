"""The outer ASGI layer every request passes: the Host check (DNS rebinding, WebSocket scopes
too), the credential check of a request with a body *before* its body is read, the body size cap
and a time limit on reading it, and the security headers on every answer (a strict CSP, no
sniffing, no framing, no referrer; ``no-store`` on the API's answers). No CORS headers are ever
sent, so other sites' pages cannot read anything."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any

from spotsyncd.api.errors import error_bytes
from spotsyncd.core.config_values import is_loopback

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
]
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
BODY_CHUNK_TIMEOUT_S = 10.0  # a client that stops sending its body is dropped after this
BODY_TOTAL_TIMEOUT_S = 30.0  # and one that trickles it, after this
OPEN_PATHS = ("/api/v1/healthz", "/healthz")
UNAUTHORIZED = (
    "this needs the API token: send 'Authorization: Bearer TOKEN' ('spotsyncd web token' "
    "prints it) or log in with the link 'spotsyncd web' prints"
)
Authorize = Callable[[dict[str, str], Scope], bool]


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


class HostPolicy:
    """Which ``Host`` header values name us: the listen address, and for a loopback listen
    ``localhost``/``127.0.0.1``/``[::1]``; for a wildcard listen (0.0.0.0, ::) any IP literal
    (DNS rebinding needs a name); plus ``web.allowed_hosts`` (with or without a port)."""

    def __init__(self, listen_host: str, port: Callable[[], int], extra: tuple[str, ...]) -> None:
        self.listen_host = listen_host
        self.port = port
        self.extra = {h.lower() for h in extra}

    def allows(self, host_header: str) -> bool:
        value = host_header.strip().lower()
        if not value or value in self.extra:
            return bool(value)
        host, sep, port = value.rpartition(":")
        if not sep or "]" in port:  # no port given (or a bare IPv6 literal)
            host, port = value, "80"
        if host in self.extra:
            return True
        if not port.isdigit() or int(port) != self.port():
            return False
        bare = host.strip("[]")
        if bare == self.listen_host.strip("[]"):
            return True
        if is_loopback(self.listen_host):
            return bare in ("localhost", "127.0.0.1", "::1")
        if self.listen_host in ("0.0.0.0", "::"):
            return _is_ip(bare)
        return False


class Guard:
    def __init__(
        self,
        app: ASGIApp,
        *,
        hosts: HostPolicy,
        max_body_bytes: int,
        authorize: Authorize | None = None,
        body_limits: Mapping[str, int] | None = None,
    ) -> None:
        self.app = app
        self.hosts = hosts
        self.max_body_bytes = max_body_bytes
        self.body_limits = dict(body_limits or {})  # paths that take more (a file upload)
        self.authorize = authorize

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if scope["type"] == "websocket":
            if not self.hosts.allows(headers.get("host", "")):
                await send({"type": "websocket.close", "code": 1008})
                return
            await self.app(scope, receive, send)
            return
        api = str(scope.get("path", "")).startswith("/api/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in HEADERS if k not in present]
                if api and b"cache-control" not in present:
                    extra.append((b"cache-control", b"no-store"))
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        if not self.hosts.allows(headers.get("host", "")):
            await _reject(send_with_headers, 421, "this server does not answer to that Host "
                          "name; use the address 'spotsyncd web' prints, or add the name to "
                          "web.allowed_hosts")  # fmt: skip
            return
        if scope["method"] in BODY_METHODS:
            if (
                api
                and self.authorize is not None
                and scope.get("path") not in OPEN_PATHS
                and not self.authorize(headers, scope)
            ):
                await _reject(send_with_headers, 401, UNAUTHORIZED)
                return
            limit = self.body_limits.get(str(scope.get("path", "")), self.max_body_bytes)
            try:
                body = await self._read_body(headers, receive, limit)
            except TimeoutError:
                await _reject(send_with_headers, 408, "the request body came too slowly")
                return
            if body is None:
                advice = "split the file" if limit != self.max_body_bytes else (
                    "send fewer links per request"
                )  # fmt: skip
                await _reject(
                    send_with_headers, 413, f"request body over {limit // 1024} KiB; {advice}"
                )
                return
            receive = _replay(body, receive)
        await self.app(scope, receive, send_with_headers)

    async def _read_body(
        self, headers: dict[str, str], receive: Receive, limit: int
    ) -> bytes | None:
        """The whole body, or None once it is over ``limit`` (never buffered past it)."""
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            return None
        chunks: list[bytes] = []
        size = 0
        loop = asyncio.get_running_loop()
        deadline = loop.time() + BODY_TOTAL_TIMEOUT_S
        while True:
            left = min(BODY_CHUNK_TIMEOUT_S, deadline - loop.time())
            if left <= 0:
                raise TimeoutError
            message = await asyncio.wait_for(receive(), left)
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _reject(send: Send, status: int, message: str) -> None:
    body = error_bytes(status, message)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
