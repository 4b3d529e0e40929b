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


def test_a_source_unreachable_because_the_network_is_down_says_so(tmp_path: Path) -> None:
    """No internet: LRCLIB's canary cannot resolve its host (.invalid never resolves). The
    finding is the network's, and its fix names the network first (not only lyrics.api_url)."""
    from spotsyncd.core.protocols import Adapters
    from spotsyncd.engine.health.canaries import canaries_for

    config = Config.model_validate(
        {
            "state_dir": tmp_path / "state",
            "lyrics": {"enabled": True, "api_url": "https://lrclib.invalid/api/"},
        }
    )
    adapters = Adapters(downloader=None, processor=None, tagger=None)  # type: ignore[arg-type]
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    try:
        watch = SourceWatch(lambda: config, ledger, lambda: canaries_for(config, ledger, adapters))
        assert watch.run_round() == {"lrclib": "failing"}
        (row,) = ledger.health_rows()
        assert row["error_class"] == "network_down"
        assert row["fix"].startswith("check the network connection")
        own = "if it works: check lyrics.api_url, or set lyrics.enabled: false"
        assert row["fix"].endswith(own)
    finally:
        ledger.close()
