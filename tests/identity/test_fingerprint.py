"""The bundled ffmpeg fingerprints downloads itself (its chromaprint muxer)."""

from __future__ import annotations

import base64
from pathlib import Path

from spotsyncd.identity.fingerprint import fingerprint, identity_problem
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
