"""Cover thumbnails from the picture embedded in each format spotsyncd files, made once."""

from __future__ import annotations

from pathlib import Path

import pytest

from spotsyncd.core.models import TrackMeta
from spotsyncd.media.tags import MutagenTagger, read_picture
from spotsyncd.media.thumbnails import cover_thumbnail
from tests.fakes.audio import make_audio
from tests.fakes.images import make_image


@pytest.mark.parametrize("ext", ["mp3", "m4a", "flac", "ogg", "opus"])
def test_the_embedded_cover_becomes_a_small_jpeg(tmp_path: Path, ext: str) -> None:
    audio = make_audio(tmp_path / f"a.{ext}", seconds=0.5)
    picture = make_image(tmp_path / "cover.png", "red", size=640)
    MutagenTagger().write(audio, TrackMeta(title="T"), key="k", cover=picture)
    assert read_picture(audio) == picture
    cache = tmp_path / "cache"
    small = cover_thumbnail(audio, cache, size=120)
    assert small is not None and small.startswith(b"\xff\xd8\xff") and len(small) < len(picture)
    assert [p.read_bytes() for p in cache.glob("*.jpg")] == [small]


def test_no_cover_is_remembered_as_none(tmp_path: Path) -> None:
    audio = make_audio(tmp_path / "a.mp3", seconds=0.5)
    cache = tmp_path / "cache"
    assert cover_thumbnail(audio, cache) is None
    assert [p.read_bytes() for p in cache.glob("*.jpg")] == [b""]
    assert cover_thumbnail(audio, cache) is None
    assert cover_thumbnail(tmp_path / "gone.mp3", cache) is None
