"""The pointer to the yt-dlp in use: versions as dates, switches, rollbacks, pruning."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from spotsyncd.sources.ytdlp.releases import (
    INSTALLED,
    Releases,
    age_days,
    installed_version,
    is_newer,
    version_key,
)


def _release(releases: Releases, version: str) -> None:
    package = releases.folder(version) / "yt_dlp"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")


def test_versions_are_dates() -> None:
    assert version_key("2026.11.30") == (2026, 11, 30, 0)
    assert version_key("2022.6.22.1") == (2022, 6, 22, 1)
    assert version_key("nightly") is None
    assert is_newer("2026.12.1", "2026.11.30") and not is_newer("2026.11.30", "2026.11.30")
    assert is_newer("2022.6.22.1", "2022.6.22")
    assert not is_newer("garbage", "2026.1.1")
    assert age_days("2026.9.22", dt.date(2026, 12, 5)) == 74
    assert age_days("2099.1.1", dt.date(2026, 12, 5)) == 0


def test_switch_then_rollback_returns_to_the_release_before(tmp_path: Path) -> None:
    releases = Releases(tmp_path)
    assert releases.version_in_use() == (installed_version(), INSTALLED)
    assert releases.rollback("nothing to undo") is None
    for version in ("2099.1.1", "2099.2.1"):
        _release(releases, version)
    releases.switch("2099.1.1", kind="switch", reason="canary passed")
    releases.switch(
        "2099.2.1", kind="switch", reason="canary passed", probation={"sources": ["youtube"]}
    )
    assert releases.version_in_use() == ("2099.2.1", "state_dir")
    assert releases.read().probation == {"sources": ["youtube"]}
    record = releases.rollback("downloads failed")
    assert record is not None and (record["from"], record["to"]) == ("2099.2.1", "2099.1.1")
    pointer = releases.read()
    assert pointer.active == "2099.1.1" and pointer.probation is None
    assert [h["kind"] for h in releases.unannounced()] == ["switch", "switch", "rollback"]
    releases.mark_announced()
    assert releases.unannounced() == []
    record = releases.rollback("again")  # nothing known before it: the installed one
    assert record is not None and record["to"] == INSTALLED
    assert releases.read().active is None


def test_a_removed_or_broken_release_means_the_installed_one(tmp_path: Path) -> None:
    releases = Releases(tmp_path)
    _release(releases, "2099.1.1")
    releases.switch("2099.1.1", kind="switch", reason="test")
    (releases.folder("2099.1.1") / "yt_dlp" / "__init__.py").unlink()
    assert releases.version_in_use() == (installed_version(), INSTALLED)
    releases.pointer_path.write_text("{not json")
    assert releases.read().active is None


def test_prune_keeps_the_active_the_previous_and_the_newest(tmp_path: Path) -> None:
    releases = Releases(tmp_path)
    versions = ["2099.1.1", "2099.2.1", "2099.3.1", "2099.4.1", "2099.5.1"]
    for version in versions:
        _release(releases, version)
    releases.switch("2099.1.1", kind="switch", reason="test")
    releases.switch("2099.2.1", kind="switch", reason="test")
    removed = releases.prune(keep=1)
    assert removed == ["2099.3.1", "2099.4.1"]
    assert sorted(p.name for p in releases.home.iterdir() if p.is_dir()) == [
        "2099.1.1", "2099.2.1", "2099.5.1",
    ]  # fmt: skip
