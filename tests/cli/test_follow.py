"""``spotsyncd follow`` with a feed's options: --keep-last, --since and --normalize are checked
as the config checks them and kept on the follow; a bad one is one line and changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from spotsyncd.cli.main import main
from spotsyncd.ledger import Ledger

FEED = "https://feeds.example.org/show.xml"


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({
        "library_dir": str(tmp_path / "library"), "inbox_dir": str(tmp_path / "inbox"),
        "state_dir": str(tmp_path / "state"),
    }))  # fmt: skip
    monkeypatch.setenv("SPOTSYNCD_CONFIG", str(config))
    return tmp_path / "state"


def _options(state: Path) -> list[dict[str, object]]:
    ledger = Ledger(state / "ledger.sqlite3")
    try:
        return [row.options for row in ledger.follows()]
    finally:
        ledger.close()


def test_a_feed_s_options_are_kept(state: Path) -> None:
    args = ["follow", FEED, "--keep-last", "3", "--since", "2025-01-31", "--normalize", "off"]
    assert main(args) == 0
    assert _options(state) == [{"keep_last": 3, "since": "2025-01-31", "normalize": "off"}]


@pytest.mark.parametrize(
    ("args", "said"),
    [(["--since", "soon"], "--since: expected a date (YYYY-MM-DD) or all"),
     (["--keep-last", "0"], "--keep-last: must be between 1 and 100000")],
)  # fmt: skip
def test_a_bad_option_is_one_line_and_follows_nothing(
    state: Path, capsys: pytest.CaptureFixture[str], args: list[str], said: str
) -> None:
    assert main(["follow", FEED, *args]) == 1
    err = capsys.readouterr().err
    assert said in err and len(err.strip().splitlines()) == 1
    assert not (state / "ledger.sqlite3").exists() or _options(state) == []


def test_a_follow_without_a_name_says_its_name_is_for_now(
    state: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The name made from the URL lasts until the first poll names the follow after its source;
    the user is told so, and how to stop following it whatever its name."""
    assert main(["follow", FEED]) == 0
    out = capsys.readouterr().out.splitlines()[0]
    assert out == (
        f"following {FEED}, every 6h; its first poll names it after its title (until then: "
        f"'feeds.example.org-show.xml'; 'spotsyncd unfollow {FEED}' works whatever its name)"
    )
    assert main(["follow", "https://feeds.example.org/other.xml", "--name", "Other"]) == 0
    out = capsys.readouterr().out.splitlines()[0]
    assert out == "following https://feeds.example.org/other.xml as 'Other', every 6h"
