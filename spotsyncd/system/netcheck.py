"""Is the network there? Name resolution, a TCP connection and (for ``doctor``) an HTTPS
request to a few hosts, with short timeouts. Nothing here retries.

The offline circuit calls ``probe`` (DNS + TCP on plain sockets: cheap, no request sent);
``doctor`` calls ``check_https`` (DNS + TLS + one HEAD request, through the project's HTTP
client) to say what it found.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urlsplit

from spotsyncd.core.errors import network_down_cause
from spotsyncd.system.http import HttpClient, HttpError, Unreachable


@dataclass(frozen=True)
class Reach:
    """What one host answered."""

    url: str
    host: str  # host:port
    ok: bool
    stage: str  # "dns" | "connect" | "https" | "ok"
    detail: str  # what failed, or what it answered
    seconds: float

    @property
    def network_down(self) -> bool:
        """Failed in a way that says "no network": no name, refused, unreachable, timed out."""
        return not self.ok and self.stage in ("dns", "connect")


def host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    default = 443 if parts.scheme == "https" else 80
    return parts.hostname or url, parts.port or default


def _netloc(url: str) -> str:
    host, port = host_port(url)
    return f"{host}:{port}"


def reach(url: str, *, timeout_s: float = 3.0, https: bool = False) -> Reach:
    """Resolve ``url``'s host and open a TCP connection to it (and with ``https``, send one
    HEAD request over TLS, or plain HTTP for http:// URLs)."""
    host, port = host_port(url)
    started = time.monotonic()

    def done(ok: bool, stage: str, detail: str) -> Reach:
        return Reach(url, _netloc(url), ok, stage, detail, time.monotonic() - started)

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        return done(False, "dns", f"name resolution failed ({exc.strerror or exc})")
    address = infos[0][4]
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            pass
    except OSError as exc:
        cause = network_down_cause(exc) or ("timed out" if isinstance(exc, TimeoutError) else "")
        return done(False, "connect", f"{cause or exc} (address {address[0]})")
    if not https:
        return done(True, "ok", f"resolves to {address[0]}, port {port} accepts connections")
    return done(*_head(url, timeout_s))


def _head(url: str, timeout_s: float) -> tuple[bool, str, str]:
    try:
        answer = HttpClient(timeout_s=timeout_s).request(
            "HEAD", url, any_status=True, follow_redirects=False
        )
    except Unreachable as exc:
        return False, "https", exc.reason if exc.tls else f"no HTTP answer: {exc.reason}"
    except HttpError as exc:
        return False, "https", f"no HTTP answer: {exc}"
    # Any HTTP status proves the way there works (a 404 or 405 for HEAD on an API root is fine).
    return True, "ok", f"{urlsplit(url).scheme.upper()} answered {answer.status}"


def probe(urls: Sequence[str], *, timeout_s: float = 3.0) -> list[Reach]:
    """``reach`` every URL's host at once (DNS + TCP), in parallel: one slow host does not make
    the whole probe slow."""
    if not urls:
        return []
    with ThreadPoolExecutor(max_workers=min(8, len(urls)), thread_name_prefix="probe") as pool:
        return list(pool.map(lambda u: reach(u, timeout_s=timeout_s), urls))


def check_https(urls: Sequence[str], *, timeout_s: float = 5.0) -> list[Reach]:
    """For ``doctor``: DNS, connection and one HEAD request per URL, in parallel."""
    if not urls:
        return []
    with ThreadPoolExecutor(max_workers=min(8, len(urls)), thread_name_prefix="check") as pool:
        return list(pool.map(lambda u: reach(u, timeout_s=timeout_s, https=True), urls))
