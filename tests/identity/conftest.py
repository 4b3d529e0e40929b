"""Helpers for the identity tests: an in-memory answers cache and a service on a stand-in."""

from __future__ import annotations

import time

import pytest

from spotsyncd.identity.pacing import Breaker, LocalPacer
from spotsyncd.identity.web import Service
from spotsyncd.system.http import HttpClient


class MemoryCache:
    def __init__(self) -> None:
        self.answers: dict[tuple[str, str], tuple[str, float]] = {}

    def cached_answer(self, service: str, key: str, max_age_s: float) -> str | None:
        found = self.answers.get((service, key))
        return found[0] if found and found[1] >= time.time() - max_age_s else None

    def remember_answer(self, service: str, key: str, body: str) -> None:
        self.answers[(service, key)] = (body, time.time())


@pytest.fixture
def cache() -> MemoryCache:
    return MemoryCache()


def service(name: str, cache: MemoryCache | None, *, slept: list[float] | None = None) -> Service:
    pacer = LocalPacer({name: 0.0})
    naps = slept if slept is not None else []
    agent = "spotsyncd/test ( me@example.org )"
    return Service(name, HttpClient(timeout_s=3), agent, pacer.turn, cache, Breaker(),
                   slow_down=lambda _s, sec: naps.append(sec))  # fmt: skip
