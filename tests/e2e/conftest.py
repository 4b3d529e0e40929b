from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import Env
from tests.fakes.audio import make_audio
from tests.fakes.http_server import LoopbackServer

CODECS = ("mp3", "m4a", "opus", "flac", "wav", "ogg")


@pytest.fixture
def env(tmp_path: Path) -> Env:
    return Env(tmp_path)


@pytest.fixture(scope="session")
def audio_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Short tones with a second of silence at both ends, one per codec, some tagged."""
    folder = tmp_path_factory.mktemp("audio")
    for index, codec in enumerate(CODECS):
        tags = (
            {
                "title": f"Tone {codec}",
                "artist": "Test Artist",
                "album": "Test Album",
                "track": str(index + 1),
            }
            if codec in ("mp3", "flac", "ogg")
            else None
        )
        make_audio(
            folder / f"tone.{codec}",
            seconds=3.0,
            lead_silence=1.0,
            tail_silence=1.0,
            freq=330 + 55 * index,
            volume_db=-6.0 if index % 2 else 0.0,
            tags=tags,
        )
    return folder


@pytest.fixture
def audio_server(audio_dir: Path) -> Iterator[LoopbackServer]:
    with LoopbackServer() as server:
        types = {
            "mp3": "audio/mpeg",
            "m4a": "audio/mp4",
            "opus": "audio/ogg",
            "flac": "audio/flac",
            "wav": "audio/wav",
            "ogg": "audio/ogg",
        }
        for codec in CODECS:
            server.add(
                f"/{codec}/tone.{codec}", (audio_dir / f"tone.{codec}").read_bytes(), types[codec]
            )
        yield server
