"""Spotify's short share links (``spotify.link/…``, ``spoti.fi/…``) resolved to the
``open.spotify.com`` link they stand for.

This is the one place spotsyncd follows a redirect for a link someone dropped, so it is a
bounded walk rather than a fetch:

* https only, and every hop's host must be one of Spotify's own short-link and open hosts
  (a short link that points anywhere else is refused, whatever it points at);
* the addresses a host resolves to are checked, and the connection goes to the checked address
  (no second look-up a rebinding DNS server could answer differently): loopback, private,
  link-local, multicast and reserved addresses are refused;
* ``Location`` headers are read, never followed automatically, and no response body is read;
* at most ``max_hops`` requests and ``timeout_s`` seconds in all.

The look-up, the address policy and the TLS context are parameters so that tests can point a
resolver at a loopback stand-in; nothing in the configuration reaches them.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from urllib.parse import urljoin, urlsplit

from spotsyncd.core.errors import LinkError

SHORT_LINK_HOSTS = frozenset({"spotify.link", "spoti.fi"})
_HOP_HOSTS = SHORT_LINK_HOSTS | {"spotify.app.link"}
_FINAL_HOSTS = frozenset({"open.spotify.com", "play.spotify.com"})
# Branch (behind spotify.link) answers a plain redirect to clients that say they are curl-like;
# anything it takes for a phone gets an HTML page we would have to scrape.
_USER_AGENT = "spotsyncd (curl-compatible; resolves share links)"
_REDIRECTS = (301, 302, 303, 307, 308)
_CACHE_SIZE = 1024

Lookup = Callable[[str, int], list[tuple[str, int]]]
AddressPolicy = Callable[[str], bool]


def is_public_address(address: str) -> bool:
    """True for a global unicast address: never loopback, private, link-local or reserved."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


def system_lookup(host: str, port: int) -> list[tuple[str, int]]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [(str(info[4][0]), int(info[4][1])) for info in infos]


class ShortLinkResolver:
    """Resolves short share links; thread-safe, remembers the last answers."""

    def __init__(
        self,
        *,
        timeout_s: float = 5.0,
        max_hops: int = 4,
        lookup: Lookup = system_lookup,
        address_allowed: AddressPolicy = is_public_address,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.timeout_s = timeout_s
        self.max_hops = max_hops
        self._lookup = lookup
        self._address_allowed = address_allowed
        self._tls = tls
        self._cache: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def resolve(self, url: str) -> str:
        """The ``open.spotify.com`` URL ``url`` redirects to; LinkError saying why not."""
        with self._lock:
            if url in self._cache:
                self._cache.move_to_end(url)
                return self._cache[url]
        target = self._walk(url)
        with self._lock:
            self._cache[url] = target
            while len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        return target

    def _walk(self, url: str) -> str:
        deadline = time.monotonic() + self.timeout_s
        current = url if "://" in url else "https://" + url
        for _ in range(self.max_hops):
            parts = urlsplit(current)
            host = (parts.hostname or "").lower()
            if host in _FINAL_HOSTS:
                return current
            if parts.scheme.lower() != "https" or host not in _HOP_HOSTS:
                raise _refused(url, f"it leads to {_where(current)}, not to open.spotify.com")
            status, location = self._request(current, deadline, url)
            if status not in _REDIRECTS or not location:
                raise _refused(url, f"{host} answered HTTP {status} instead of a redirect")
            current = urljoin(current, location)
        if (urlsplit(current).hostname or "").lower() in _FINAL_HOSTS:
            return current
        raise _refused(url, f"more than {self.max_hops} redirects")

    def _request(self, url: str, deadline: float, original: str) -> tuple[int, str | None]:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        port = parts.port or 443
        try:
            addresses = self._lookup(host, port)
        except OSError as exc:
            raise _unreachable(original, f"{host} could not be looked up ({exc})") from None
        allowed = [a for a in addresses if self._address_allowed(a[0])]
        if not allowed:
            shown = ", ".join(sorted({a[0] for a in addresses})) or "nothing"
            raise _refused(original, f"{host} resolves to {shown}, not a public address")
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        error: Exception | None = None
        for address, address_port in allowed[:2]:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            conn = _PinnedHTTPS(host, address, address_port, remaining, self._context())
            try:
                conn.request("GET", path, headers={"User-Agent": _USER_AGENT, "Accept": "*/*"})
                response = conn.getresponse()
                return response.status, response.getheader("Location")
            except (OSError, http.client.HTTPException) as exc:
                error = exc
            finally:
                conn.close()
        raise _unreachable(original, f"{host} did not answer ({error or 'timed out'})")

    def _context(self) -> ssl.SSLContext:
        if self._tls is None:
            self._tls = ssl.create_default_context()
        return self._tls


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to ``host`` (SNI and certificate) over a socket to an address checked before."""

    def __init__(
        self, host: str, address: str, port: int, timeout: float, context: ssl.SSLContext
    ) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self._address = address
        self._tls_context = context

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls_context.wrap_socket(sock, server_hostname=self.host)


def _where(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or '?'}"


def _refused(url: str, why: str) -> LinkError:
    return LinkError(f"Spotify short link {url} refused: {why}; paste the open.spotify.com link")


def _unreachable(url: str, why: str) -> LinkError:
    return LinkError(
        f"Spotify short link {url} could not be resolved: {why}; try again later or paste the "
        "open.spotify.com link"
    )
