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
