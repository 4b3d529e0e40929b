"""The project's own HTTP client: covers, lyrics, media servers, the network check (MusicBrainz
next). One place sets the connect and read timeouts, the User-Agent and a cap on how much of an
answer is read, and, for a client given an address policy (a fetch a link or a feed decided:
covers), the address check of ``netguard``: every connection, redirects included, goes only to
an address the policy permits (urllib3 resolves through netguard's scoped resolver).

The adapters that bring their own client stay on it: spotipy, ytmusicapi, yt-dlp, the YouTube
Data API and the pinned HTTPS of share links (``sources/``).

A failure is one of three kinds of ``HttpError``, whose ``str()`` names the method and
``scheme://host:port/path`` only (never the query string or the headers: credentials travel
there):

- ``Unreachable``: no answer. ``network_down`` when the host could not be reached at all (no
  name, refused, no route, no connection in time); otherwise the host's own trouble (TLS failed,
  the connection dropped, no answer in time on an open connection);
- ``ErrorStatus``: the host answered with an HTTP error status;
- ``TooLarge``: the answer was larger than the cap;
- ``Blocked``: the address check refused the host (an internal address).

Nothing here retries: the callers decide (lyrics pause, media servers ask again at the next
change). Each request has a session and a connection of its own, closed after it, as with
urllib: a pooled keep-alive connection that the server closes just as it is reused fails the
request, and nothing retries (seen: with one shared session, the loopback media-server tests
failed that way under load). No cookies are kept and ``~/.netrc`` is not read; proxies from
the environment (``HTTPS_PROXY``, ``NO_PROXY``…) are honoured as urllib honoured them.
``requests`` is imported at the first request, so importing this module stays cheap.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from spotsyncd import __version__
from spotsyncd.core.errors import network_down_cause
from spotsyncd.system.netguard import (
    AddressPolicy,
    guarding,
    install_scoped_resolver,
    refusal_in,
)

if TYPE_CHECKING:
    import requests

PROJECT_URL = "https://github.com/spotsyncd/spotsyncd"
USER_AGENT = f"spotsyncd/{__version__} (+{PROJECT_URL})"
CONNECT_TIMEOUT_S = 10.0
READ_TIMEOUT_S = 20.0
MAX_ANSWER_BYTES = 8 * 1024 * 1024
_CHUNK = 64 * 1024
_MAX_DEPTH = 16  # how far a chain of wrapped exceptions is followed


def where(url: str) -> str:
    """``scheme://host:port/path`` of ``url``: what a message may show."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}{f':{parts.port}' if parts.port else ''}{parts.path}"


class HttpError(Exception):
    """A request that gave no usable answer. ``str()`` is safe to log and show."""


class Unreachable(HttpError):
    """No answer at all; ``reason`` says why in a few words. ``network_down``: the host could
    not be reached (see the module); ``tls``: the TLS handshake failed."""

    def __init__(
        self,
        message: str,
        *,
        reason: str,
        network_down: bool,
        timed_out: bool = False,
        tls: bool = False,
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.network_down = network_down
        self.timed_out = timed_out
        self.tls = tls


class ErrorStatus(HttpError):
    """The host answered ``status`` (4xx or 5xx)."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


class Blocked(HttpError):
    """The host is (or resolves to) an internal address the policy does not permit."""


class TooLarge(HttpError):
    """The answer was larger than ``limit`` bytes; it was not read further."""

    def __init__(self, message: str, *, limit: int) -> None:
        super().__init__(message)
        self.limit = limit


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)


class HttpClient:
    """Requests with this project's timeouts, User-Agent and size cap.

    ``timeout_s`` bounds each wait for the host (as urllib's timeout did); opening the
    connection waits at most ``connect_timeout_s`` (by default the shorter of ``timeout_s`` and
    10 s). Safe to share between threads: it keeps no connections and no cookies.
    """

    def __init__(
        self,
        *,
        timeout_s: float = READ_TIMEOUT_S,
        connect_timeout_s: float | None = None,
        max_bytes: int = MAX_ANSWER_BYTES,
        policy: AddressPolicy | None = None,
    ) -> None:
        self.policy = policy
        if policy is not None:
            import urllib3.util.connection

            install_scoped_resolver(urllib3.util.connection)
        self.read_timeout_s = timeout_s
        self.connect_timeout_s = (
            connect_timeout_s
            if connect_timeout_s is not None
            else min(timeout_s, CONNECT_TIMEOUT_S)
        )
        self.max_bytes = max_bytes

    def get(
        self,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        max_bytes: int | None = None,
        skip_body_types: tuple[str, ...] = (),
    ) -> Answer:
        return self.request(
            "GET", url, params=params, headers=headers, max_bytes=max_bytes,
            skip_body_types=skip_body_types,
        )  # fmt: skip

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        data: bytes | None = None,
        max_bytes: int | None = None,
        any_status: bool = False,
        follow_redirects: bool = True,
        skip_body_types: tuple[str, ...] = (),
    ) -> Answer:
        """One request; a 2xx or 3xx answer (any answer with ``any_status``) comes back whole,
        read up to ``max_bytes`` (the client's cap by default), except one whose Content-Type
        starts with one of ``skip_body_types`` (lower case), which comes back with its headers
        and no body: a caller that wants a document is not made to read an audio file.
        Raises an ``HttpError``."""
        import requests

        shown = f"{method} {where(url)}"
        limit = self.max_bytes if max_bytes is None else max_bytes
        try:
            with (
                guarding(self.policy),
                _session() as session,
                session.request(
                    method,
                    url,
                    params=dict(params) if params else None,
                    headers=dict(headers) if headers else None,
                    data=data,
                    timeout=(self.connect_timeout_s, self.read_timeout_s),
                    allow_redirects=follow_redirects,
                    proxies=_environment_proxies(url),
                    stream=True,
                ) as response,
            ):
                if response.status_code >= 400 and not any_status:
                    status = response.status_code
                    raise ErrorStatus(f"{shown} answered HTTP {status}", status=status)
                kind = response.headers.get("Content-Type", "").lower()
                if skip_body_types and kind.startswith(skip_body_types):
                    return Answer(response.status_code, b"", dict(response.headers))
                body = _read(response, limit, shown)
                return Answer(response.status_code, body, dict(response.headers))
        except requests.RequestException as exc:
            refusal = refusal_in(exc)
            if refusal is not None:
                raise Blocked(f"{shown}: {refusal}") from None
            raise self._unreachable(exc, shown) from None

    def _unreachable(self, exc: BaseException, shown: str) -> Unreachable:
        import requests

        cause = network_down_cause(exc)
        if isinstance(exc, requests.exceptions.ConnectTimeout):
            took = f"timed out after {self.connect_timeout_s:g}s"
            return Unreachable(
                f"{shown} {took} (connecting)", reason=f"connection {took}", network_down=True,
                timed_out=True,
            )  # fmt: skip
        if isinstance(exc, requests.exceptions.Timeout) or _timed_out(exc):
            took = f"timed out after {self.read_timeout_s:g}s"
            return Unreachable(f"{shown} {took}", reason=took, network_down=False, timed_out=True)
        if isinstance(exc, requests.exceptions.SSLError):
            reason = f"TLS failed: {_innermost(exc)}"
            return Unreachable(
                f"cannot reach {shown}: {reason}", reason=reason, network_down=False, tls=True
            )
        reason = _os_text(exc) or cause or _innermost(exc)  # the OS's words, as urllib gave
        return Unreachable(
            f"cannot reach {shown}: {reason}", reason=reason, network_down=cause is not None
        )


def _session() -> requests.Session:
    import http.cookiejar

    import requests
    from requests.adapters import HTTPAdapter

    session = requests.Session()
    session.trust_env = False  # no ~/.netrc; proxies: _environment_proxies
    session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
    session.headers["User-Agent"] = USER_AGENT
    adapter = HTTPAdapter(max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def _environment_proxies(url: str) -> dict[str, str]:
    """The proxies urllib would use for ``url`` (``*_PROXY``, ``NO_PROXY``)."""
    import urllib.request

    if urllib.request.proxy_bypass(urlsplit(url).hostname or ""):
        return {}
    found = urllib.request.getproxies()
    return {scheme: found[scheme] for scheme in ("http", "https", "all") if scheme in found}


def _read(response: requests.Response, limit: int, shown: str) -> bytes:
    too_large = TooLarge(f"{shown} answered more than {_size(limit)}", limit=limit)
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    body = bytearray()
    for chunk in response.iter_content(_CHUNK):
        body += chunk
        if len(body) > limit:
            raise too_large
    return bytes(body)


def _size(limit: int) -> str:
    return f"{limit / (1024 * 1024):g} MB" if limit >= 1024 * 1024 else f"{limit} bytes"


def _timed_out(exc: BaseException) -> bool:
    """A read that timed out while the body streamed in (requests wraps it as a
    ConnectionError)."""
    seen: BaseException | None = exc
    for _ in range(_MAX_DEPTH):
        if seen is None:
            break
        if isinstance(seen, TimeoutError) or "ReadTimeout" in type(seen).__name__:
            return True
        seen = _inner(seen)
    return False


def _os_text(exc: BaseException) -> str | None:
    """The text of the first OSError in the chain that has one ("Connection refused")."""
    current: BaseException | None = exc
    for _ in range(_MAX_DEPTH):
        if current is None:
            break
        if isinstance(current, OSError) and current.strerror:
            return str(current.strerror)
        current = _inner(current)
    return None


def _innermost(exc: BaseException) -> str:
    """The root cause in a few words: urllib3's messages repeat the whole URL, query string
    (credentials) included, so only an OSError's text or an exception's type is shown."""
    text = _os_text(exc)
    if text:
        return text
    current: BaseException = exc
    for _ in range(_MAX_DEPTH):
        following = _inner(current)
        if following is None:
            break
        current = following
    reason = getattr(current, "reason", None)
    if isinstance(reason, str) and "?" not in reason and "://" not in reason:
        return reason
    return type(current).__name__


def _inner(exc: BaseException) -> BaseException | None:
    """What ``exc`` wraps: urllib3 and requests put it in ``args``, Python in the cause."""
    wrapped = [a for a in getattr(exc, "args", ()) if isinstance(a, BaseException)]
    return wrapped[0] if wrapped else (exc.__cause__ or exc.__context__)
