"""The bundled ffmpeg fingerprints downloads itself (its chromaprint muxer)."""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path

from spotsyncd.core.config import AudioConfig
from spotsyncd.identity.fingerprint import fingerprint, identity_problem
from spotsyncd.media.audio import FfmpegAudioProcessor
from tests.fakes.audio import FFMPEG, make_audio


def test_the_bundled_ffmpeg_has_the_chromaprint_muxer() -> None:
    assert identity_problem(Path(FFMPEG)) is None


def test_a_download_is_fingerprinted_with_its_whole_length(tmp_path: Path) -> None:
    path = make_audio(tmp_path / "a.m4a", seconds=6.0, freq=330)
    found = fingerprint(Path(FFMPEG), path)
    assert found is not None and abs(found.duration_s - 6.0) < 0.2
    base64.urlsafe_b64decode(found.value + "=" * (-len(found.value) % 4))  # AcoustID's form
    # Only the first ``seconds`` are read; the length is still the whole file's.
    short = fingerprint(Path(FFMPEG), path, seconds=2)
    assert short is not None and short.value != found.value and short.duration_s == found.duration_s
    other = fingerprint(Path(FFMPEG), make_audio(tmp_path / "b.m4a", seconds=6.0, freq=900))
    assert other is not None and other.value != found.value


def test_what_cannot_be_fingerprinted_gives_none(tmp_path: Path) -> None:
    junk = tmp_path / "junk.m4a"
    junk.write_bytes(b"not audio at all")
    assert fingerprint(Path(FFMPEG), junk) is None
    assert fingerprint(tmp_path / "no-ffmpeg", junk) is None
    fake = tmp_path / "ffmpeg"
    fake.write_text("#!/bin/sh\necho ' muxers: none'\n")
    fake.chmod(0o755)
    assert "no chromaprint muxer" in (identity_problem(fake) or "")


def test_a_surround_download_is_fingerprinted_as_the_encode_would(tmp_path: Path) -> None:
    """Six channels at 96 kHz: the chromaprint muxer takes at most two, so the channels are
    mixed first, and the print is the one the encode takes from its own decode."""
    src = tmp_path / "surround.flac"
    subprocess.run([FFMPEG, "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
                    "anoisesrc=d=25:r=96000:a=0.3", "-ac", "6", "-c:a", "flac", str(src)],
                   check=True)  # fmt: skip
    found = fingerprint(Path(FFMPEG), src)
    assert found is not None and abs(found.duration_s - 25.0) < 0.2
    encoded = FfmpegAudioProcessor(Path(FFMPEG)).process(
        src, tmp_path / "out", AudioConfig(), fingerprint=True
    )
    assert encoded.fingerprint == found
