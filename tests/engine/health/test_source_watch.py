"""The source health watch: each canary's result in the ledger, and one event when a source
turns failing and one when it recovers (not one per failed check)."""

from __future__ import annotations

from pathlib import Path

from spotsyncd.core.config import Config
from spotsyncd.core.errors import BotCheckError
from spotsyncd.engine.health.canaries import Canary
from spotsyncd.engine.health.source_watch import SourceWatch
from spotsyncd.ledger import Ledger


def test_failing_and_recovering_are_one_event_each(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    broken = {"now": False}

    def youtube() -> None:
        if broken["now"]:
            raise BotCheckError("Sign in to confirm you're not a bot")

    watch = SourceWatch(Config, ledger, lambda: [Canary("youtube", youtube, "update yt-dlp")])
    try:
        assert watch.run_round() == {"youtube": None}
        broken["now"] = True
        assert watch.run_round() == {"youtube": "failing"}
        assert watch.run_round() == {"youtube": None}  # still failing: nothing new
        (row,) = ledger.health_rows()
        assert row["state"] == "failing" and row["error_class"] == "bot_check"
        assert row["failures"] == 2 and "cookies" in row["fix"]  # the class's fix, not the default
        broken["now"] = False
        assert watch.run_round() == {"youtube": "recovered"}
        kinds = [e["kind"] for e in ledger.events_after(0)]
        assert kinds == ["source_failing", "source_recovered"]
        (row,) = ledger.health_rows()
        assert row["state"] == "ok" and row["error"] is None and row["failures"] == 0
    finally:
        ledger.close()
