"""A small HTTP client for the media servers' APIs (stdlib only), with timeouts on every call.

Errors never carry the request URL's query string or headers: that is where the credentials are.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

from spotsyncd import __version__

MAX_BODY = 8 * 1024 * 1024
USER_AGENT = f"spotsyncd/{__version__}"


class ServerError(Exception):
    """The server could not be asked, or said no. ``str()`` is safe to log and show."""

    def __init__(self, message: str, *, status: int | None = None, unreachable: bool = False):
        super().__init__(message)
        self.status = status
        self.unreachable = unreachable


@dataclass
class Response:
    status: int
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)

    def json(self, what: str) -> Any:
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise ServerError(f"{what} answered something other than JSON") from None

    def xml(self, what: str) -> ET.Element:
        try:
            return ET.fromstring(self.body)
        except ET.ParseError:
            raise ServerError(f"{what} answered something other than XML") from None


def where(url: str) -> str:
    """``scheme://host:port/path`` of ``url``: what a message may show."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}{f':{parts.port}' if parts.port else ''}{parts.path}"


def call(
    method: str,
    url: str,
    *,
    params: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    timeout_s: float = 10.0,
) -> Response:
    """One request. Raises ServerError (``unreachable`` for network trouble, ``status`` for an
    HTTP error answer); a 2xx answer comes back as a Response."""
    full = f"{url}?{urlencode(params)}" if params else url
    request = urllib.request.Request(
        full,
        method=method,
        data=b"" if method == "POST" else None,
        headers={"User-Agent": USER_AGENT, **(headers or {})},
    )
    shown = f"{method} {where(url)}"
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as answer:
            body = answer.read(MAX_BODY)
            return Response(answer.status, body, dict(answer.headers.items()))
    except urllib.error.HTTPError as exc:
        exc.close()
        hint = " (credentials refused: run 'spotsyncd doctor')" if exc.code in (401, 403) else ""
        raise ServerError(f"{shown} answered HTTP {exc.code}{hint}", status=exc.code) from None
    except TimeoutError:
        raise ServerError(f"{shown} timed out after {timeout_s:g}s", unreachable=True) from None
    except urllib.error.URLError as exc:
        reason = getattr(exc.reason, "strerror", None) or str(exc.reason)
        raise ServerError(f"cannot reach {shown}: {reason}", unreachable=True) from None
    except (OSError, ValueError) as exc:
        raise ServerError(f"cannot reach {shown}: {type(exc).__name__}", unreachable=True) from None
