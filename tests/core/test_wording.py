from __future__ import annotations

from spotsyncd.core.wording import counted


def test_counts_agree_with_their_nouns() -> None:
    assert counted(1, "line") == "1 line"
    assert counted(0, "line") == "0 lines"
    assert counted(2, "entry", "entries") == "2 entries"
