"""Kept answers last until the ledger's next event, and no longer."""

from __future__ import annotations

from pathlib import Path

from spotsyncd.api.answers import AnswerCache
from spotsyncd.ledger import Ledger


def test_an_answer_is_kept_until_an_event(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    cache = AnswerCache(max_kept=2)
    calls: list[str] = []

    def compute(name: str) -> str:
        calls.append(name)
        return f"{name}{len(calls)}"

    try:
        assert cache.get(ledger, "a", lambda: compute("a")) == "a1"
        assert cache.get(ledger, "a", lambda: compute("a")) == "a1"  # kept
        ledger.event("info", "test", "a change")
        assert cache.get(ledger, "a", lambda: compute("a")) == "a2"  # computed again
        cache.get(ledger, "b", lambda: compute("b"))
        cache.get(ledger, "c", lambda: compute("c"))  # "a" is the oldest: dropped
        assert cache.get(ledger, "a", lambda: compute("a")) == "a5"
    finally:
        ledger.close()
