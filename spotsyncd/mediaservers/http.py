"""The media servers' side of the project's HTTP client (``system/http.py``): their errors as
one ``ServerError`` that says whether the server could be asked at all, and their answers.

Errors never carry the request URL's query string or headers: that is where the credentials are.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from spotsyncd.system.http import ErrorStatus, HttpClient, HttpError, TooLarge, where

__all__ = ["MAX_BODY", "Response", "ServerError", "call", "where"]

MAX_BODY = 8 * 1024 * 1024


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


def call(
    http: HttpClient,
    method: str,
    url: str,
    *,
    params: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """One request. Raises ServerError (``unreachable`` for network trouble, ``status`` for an
    HTTP error answer); a 2xx answer comes back as a Response."""
    try:
        answer = http.request(
            method,
            url,
            params=params,
            headers=headers,
            data=b"" if method == "POST" else None,
            max_bytes=MAX_BODY,
        )
    except ErrorStatus as exc:
        hint = " (credentials refused: run 'spotsyncd doctor')" if exc.status in (401, 403) else ""
        raise ServerError(f"{exc}{hint}", status=exc.status) from None
    except TooLarge as exc:
        raise ServerError(str(exc)) from None
    except HttpError as exc:
        raise ServerError(str(exc), unreachable=True) from None
    return Response(answer.status, answer.body, answer.headers)
