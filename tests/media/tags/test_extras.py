"""An episode's description and chapters in the tags: ID3 COMM and CHAP/CTOC (v2.4 and v2.3),
Vorbis COMMENT and CHAPTERnnn (Opus, Ogg, FLAC), an M4A's comment; read back as written, and
a file without chapters to write keeps its own."""

from __future__ import annotations

import shutil
from pathlib import Path

import mutagen
import pytest
from mutagen.id3 import ID3

from spotsyncd.core.models import TrackMeta
from spotsyncd.media.tags import MutagenTagger
from tests.fakes.audio import make_audio

KEY = "podcast:0123456789ab:0123456789abcdef0123"
EPISODE = TrackMeta(
    title="Episode 4: Chapters",
    artists=("Ada Host",),
    album="Loopback Tales",
    genre="Podcast",
    comment="All about chapters.\nSecond line.",
    chapters=((0.0, "Cold open"), (1.25, "The story"), (99.0, "Past the end")),
)


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("samples")
    return {ext: make_audio(root / f"s.{ext}", seconds=2.0) for ext in ("mp3", "m4a", "opus",
                                                                        "flac", "ogg")}  # fmt: skip


def _copy(samples: dict[str, Path], ext: str, tmp_path: Path) -> Path:
    return Path(shutil.copy(samples[ext], tmp_path / f"t.{ext}"))


@pytest.mark.parametrize("version", [4, 3])
def test_mp3_chapters_and_comment(samples: dict[str, Path], tmp_path: Path, version: int) -> None:
    path = _copy(samples, "mp3", tmp_path)
    MutagenTagger().write(path, EPISODE, key=KEY, id3_version=version)
    tags = ID3(path)
    assert tags.version[:2] == (2, version)
    assert [str(f) for f in tags.getall("COMM") if f.desc == ""] == [EPISODE.comment]
    chapters = sorted(tags.getall("CHAP"), key=lambda f: f.start_time)
    # A chapter past the end of the audio is left out; the last one ends with the file.
    assert [(f.start_time, str(f.sub_frames["TIT2"])) for f in chapters] == [
        (0, "Cold open"),
        (1250, "The story"),
    ]
    assert chapters[0].end_time == 1250 and 1900 < chapters[1].end_time < 2200
    (toc,) = tags.getall("CTOC")
    assert list(toc.child_element_ids) == [f.element_id for f in chapters]
    read = MutagenTagger().read(path)
    assert read.comment == EPISODE.comment
    assert read.chapters == ((0.0, "Cold open"), (1.25, "The story"))


@pytest.mark.parametrize("ext", ["opus", "flac", "ogg"])
def test_vorbis_chapters_and_comment(samples: dict[str, Path], tmp_path: Path, ext: str) -> None:
    path = _copy(samples, ext, tmp_path)
    MutagenTagger().write(path, EPISODE, key=KEY)
    tags: object = mutagen.File(path).tags  # type: ignore[attr-defined]
    assert tags["CHAPTER001"] == ["00:00:00.000"] and tags["CHAPTER002"] == ["00:00:01.250"]  # type: ignore[index]
    assert tags["CHAPTER002NAME"] == ["The story"] and "CHAPTER003" not in tags  # type: ignore[index, operator]
    read = MutagenTagger().read(path)
    assert read.comment == EPISODE.comment
    assert read.chapters == ((0.0, "Cold open"), (1.25, "The story"))


def test_m4a_keeps_the_comment(samples: dict[str, Path], tmp_path: Path) -> None:
    path = _copy(samples, "m4a", tmp_path)
    MutagenTagger().write(path, EPISODE, key=KEY)
    assert MutagenTagger().read(path).comment == EPISODE.comment


def test_a_track_without_chapters_leaves_the_file_s_own(
    samples: dict[str, Path], tmp_path: Path
) -> None:
    path = _copy(samples, "mp3", tmp_path)
    MutagenTagger().write(path, EPISODE, key=KEY)
    MutagenTagger().write(path, TrackMeta(title="Retagged"), key=KEY)
    assert MutagenTagger().read(path).chapters == ((0.0, "Cold open"), (1.25, "The story"))
