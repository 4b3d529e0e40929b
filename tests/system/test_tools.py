"""``ffmpeg_muxers``: what an ffmpeg can write, read from ``ffmpeg -muxers`` once per binary."""

from __future__ import annotations

from pathlib import Path

import pytest

from spotsyncd.system.tools import ffmpeg_muxers
from tests.fakes.audio import FFMPEG

LISTING = """Formats:
 D.. = Demuxing supported
 .E. = Muxing supported
 ---
  E  chromaprint     Chromaprint
 DE  mp3             MP3 (MPEG audio layer 3)
  E  mov,mp4         QuickTime / MOV
 D   aac             raw ADTS AAC (Advanced Audio Coding)
"""


def test_the_bundled_ffmpeg_writes_what_spotsyncd_needs() -> None:
    assert {"chromaprint", "mp3", "ipod", "ogg", "flac"} <= ffmpeg_muxers(Path(FFMPEG))


def test_a_listing_is_read_once_per_binary(tmp_path: Path) -> None:
    listing = tmp_path / "listing.txt"
    listing.write_text(LISTING)
    fake = tmp_path / "ffmpeg"
    fake.write_text(f"#!/bin/sh\necho asked >> {tmp_path}/asked\ncat {listing}\n")
    fake.chmod(0o755)
    assert ffmpeg_muxers(fake) == {"chromaprint", "mp3", "mov", "mp4"}  # not the demuxer
    assert ffmpeg_muxers(fake) == {"chromaprint", "mp3", "mov", "mp4"}
    assert (tmp_path / "asked").read_text().count("asked") == 1


def test_an_ffmpeg_that_cannot_run_is_asked_again(tmp_path: Path) -> None:
    missing = tmp_path / "no-ffmpeg"
    with pytest.raises(OSError):
        ffmpeg_muxers(missing)
    missing.write_text(f"#!/bin/sh\ncat <<'END'\n{LISTING}END\n")
    missing.chmod(0o755)
    assert "chromaprint" in ffmpeg_muxers(missing)
