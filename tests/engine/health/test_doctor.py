"""``doctor``'s identity check: on or off, and whether ffmpeg can fingerprint."""

from __future__ import annotations

from pathlib import Path

from spotsyncd.core.config import AcoustidConfig, Config, DownloadConfig, MusicBrainzConfig
from spotsyncd.engine.health.doctor import _identity


def test_without_a_key_it_says_how_to_get_one() -> None:
    [check] = _identity(Config(log_file=None))
    assert check.status == "ok" and "MusicBrainz IDs on" in check.detail
    assert "acoustid.api_key" in check.detail
    [off] = _identity(Config(log_file=None, musicbrainz=MusicBrainzConfig(enabled=False)))
    assert off.detail.startswith("off")


def test_a_key_needs_an_ffmpeg_that_fingerprints(tmp_path: Path) -> None:
    with_key = Config(log_file=None, acoustid=AcoustidConfig(api_key="k"))
    [check] = _identity(with_key)
    assert check.status == "ok" and "fingerprints checked" in check.detail  # the bundled one
    fake = tmp_path / "ffmpeg"
    fake.write_text("#!/bin/sh\necho ' E mp3  MP3'\n")
    fake.chmod(0o755)
    other = with_key.model_copy(update={"download": DownloadConfig(ffmpeg=fake)})
    [problem] = _identity(other)
    assert problem.status == "fail" and "no chromaprint muxer" in problem.detail


def test_without_internet_the_hosts_it_cannot_reach_are_one_warning(tmp_path: Path) -> None:
    """No DNS: every host fails the same way. One warning names them all, with one fix, rather
    than the same warning and fix once per host (.invalid never resolves)."""
    from spotsyncd.engine.health.doctor import _network

    hosts = ["https://a.example.invalid/", "https://b.example.invalid/"]
    config = Config.model_validate(
        {"state_dir": tmp_path, "log_file": None, "network": {"check_urls": hosts}}
    )
    [check] = list(_network(config))
    assert check.status == "warn" and check.name == "reach"
    assert check.detail.startswith("cannot resolve a.example.invalid:443, b.example.invalid:443: ")
    assert "network.check_urls" in check.fix
