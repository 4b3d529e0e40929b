"""One request to MusicBrainz or AcoustID: its turn on the rate budget, the cache, a 503's
"slow down", and every failure turned into "no answer" (the track stays unverified).

Answers are cached by ``(service, key)`` as the JSON text the service sent; "not found" (a 404,
MusicBrainz's answer for an ISRC it does not know) is cached as ``null``.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from spotsyncd.core.protocols import LookupCache
from spotsyncd.identity.pacing import Breaker, Turn
from spotsyncd.system.http import Answer, HttpClient, HttpError, where

log = logging.getLogger(__name__)

CACHE_MAX_AGE_S = 30 * 86400.0
SLOW_DOWN_S = 2.0  # a 503 without Retry-After: wait this long before asking again
TRIES = 3  # a 503 is asked again twice, each time after slowing down
NOT_FOUND: Any = None


class NoAnswer(Exception):
    """The service gave no usable answer (down, slow, refusing, garbage); ``resting``: it was
    not asked, having failed a moment ago."""

    def __init__(self, message: str, *, resting: bool = False) -> None:
        super().__init__(message)
        self.resting = resting


@dataclass
class Service:
    """How to reach one service: its name (for the budget and the cache), client and rules."""

    name: str
    http: HttpClient
    user_agent: str
    turn: Turn
    cache: LookupCache | None
    breaker: Breaker
    slow_down: Callable[[str, float], None] | None = None
    sleep: Callable[[float], None] = time.sleep

    def fetch(
        self,
        cache_key: str,
        method: str,
        url: str,
        *,
        data: bytes | None = None,
        not_found: tuple[int, ...] = (404,),
    ) -> Any:
        """The JSON answer (``NOT_FOUND`` for a status in ``not_found``), from the cache when
        it has it; raises ``NoAnswer``."""
        if self.cache is not None:
            cached = self.cache.cached_answer(self.name, cache_key, CACHE_MAX_AGE_S)
            if cached is not None:
                return json.loads(cached)
        if self.breaker.open(self.name):
            raise NoAnswer(f"{self.name} failed a moment ago; not asked again yet", resting=True)
        answer = self._ask(method, url, data, not_found)
        body = "null" if answer is None else answer.body.decode("utf-8", "replace")
        try:
            value = json.loads(body)
        except ValueError:
            self.breaker.failed(self.name)
            raise NoAnswer(f"{self.name} answered something that is not JSON") from None
        if self.cache is not None:
            self.cache.remember_answer(self.name, cache_key, body)
        return value

    def _ask(
        self, method: str, url: str, data: bytes | None, not_found: tuple[int, ...]
    ) -> Answer | None:
        headers = {"User-Agent": self.user_agent, "Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in range(1, TRIES + 1):
            try:
                with self.turn(self.name):
                    answer = self.http.request(method, url, headers=headers, data=data,
                                               any_status=True)  # fmt: skip
            except HttpError as exc:
                self.breaker.failed(self.name)
                raise NoAnswer(str(exc)) from None
            if answer.status < 400:
                self.breaker.succeeded(self.name)
                return answer
            if answer.status in not_found:
                self.breaker.succeeded(self.name)
                return None
            if answer.status == 503 and attempt < TRIES:
                # "Slow down": this process (and, through slow_down, everyone sharing the
                # budget) waits before the next request.
                log.info("%s asks to slow down (503); waiting %.0fs", self.name, SLOW_DOWN_S)
                if self.slow_down is not None:
                    self.slow_down(self.name, SLOW_DOWN_S)
                else:
                    self.sleep(SLOW_DOWN_S)
                continue
            self.breaker.failed(self.name)
            raise NoAnswer(f"{method} {where(url)} answered HTTP {answer.status}"
                           + _said(answer.body))  # fmt: skip
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


def _said(body: bytes) -> str:
    """What an error answer says in words (AcoustID: ``{"error": {"message": …}}``; MusicBrainz:
    ``{"error": …}``), if anything."""
    try:
        data = json.loads(body.decode("utf-8", "replace"))
    except ValueError:
        return ""
    error = data.get("error") if isinstance(data, dict) else None
    message = error.get("message") if isinstance(error, dict) else error
    return f": {str(message)[:200]}" if message else ""
