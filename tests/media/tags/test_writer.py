"""MutagenTagger on real files: write, then read back with mutagen itself and with read()."""

from __future__ import annotations

import base64
import shutil
from pathlib import Path

import mutagen
import pytest
from mutagen.flac import FLAC, Picture
from mutagen.id3 import ID3
from mutagen.mp4 import MP4

from spotsyncd.core.models import Processed, TrackMeta
from spotsyncd.media.tags import MutagenTagger
from tests.fakes.audio import make_audio

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
KEY = "spotify:track:4uLU6hMCjMI75M1A2tKUQC"

META = TrackMeta(
    title="Never Gonna Give You Up",
    artists=("Rick Astley", "Guest Ü"),
    album="Whenever You Need Somebody",
    album_artist="Rick Astley",
    track_number=1,
    track_total=10,
    disc_number=1,
    disc_total=2,
    date="1987-11-12",
    genre="Pop",
    isrc="GBARL9300135",
    explicit=True,
    source_url="https://www.youtube.com/watch?v=dQw4w9WgXcQ",
)
GAIN = Processed(path=Path("x"), duration_s=3.0, loudness_lufs=-14.0, gain_db=-3.0,
                 true_peak_db=-1.5)  # fmt: skip


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("samples")
    exts = ("mp3", "m4a", "opus", "flac", "ogg")
    return {ext: make_audio(root / f"s.{ext}", seconds=0.5) for ext in exts}


def _copy(samples: dict[str, Path], ext: str, tmp_path: Path) -> Path:
    return Path(shutil.copy(samples[ext], tmp_path / f"t.{ext}"))


def _expected_read() -> TrackMeta:
    return TrackMeta(title=META.title, artists=META.artists, album=META.album,
                     album_artist=META.album_artist, track_number=1, track_total=10,
                     disc_number=1, disc_total=2, date=META.date, genre="Pop",
                     isrc=META.isrc)  # fmt: skip


@pytest.mark.parametrize("ext", ["mp3", "m4a", "opus", "flac", "ogg"])
def test_round_trip_through_read(samples: dict[str, Path], tmp_path: Path, ext: str) -> None:
    path = _copy(samples, ext, tmp_path)
    tagger = MutagenTagger()
    tagger.write(path, META, key=KEY, cover=PNG, replaygain=GAIN)
    assert tagger.read(path) == _expected_read()
    assert tagger.read_key(path) == KEY
    assert mutagen.File(path).info.length == pytest.approx(0.5, abs=0.1), "audio intact"


def test_mp3_id3v24_frames(samples: dict[str, Path], tmp_path: Path) -> None:
    path = _copy(samples, "mp3", tmp_path)
    MutagenTagger().write(path, META, key=KEY, cover=JPEG, replaygain=GAIN)
    tags = ID3(path)
    assert tags.version[:2] == (2, 4)
    assert tags["TPE1"].text == ["Rick Astley", "Guest Ü"]
    assert tags["TRCK"].text == ["1/10"] and tags["TPOS"].text == ["1/2"]
    assert str(tags["TDRC"].text[0]) == "1987-11-12"
    assert tags["TSRC"].text == ["GBARL9300135"]
    assert tags["WOAS"].url == META.source_url
    assert tags["COMM:source:eng"].text == [META.source_url]
    assert tags["TXXX:SPOTSYNCD_KEY"].text == [KEY]
    assert tags["TXXX:ITUNESADVISORY"].text == ["1"]
    assert tags["TXXX:REPLAYGAIN_TRACK_GAIN"].text == ["-4.00 dB"]
    assert float(tags["TXXX:REPLAYGAIN_TRACK_PEAK"].text[0]) == pytest.approx(0.841, abs=0.001)
    apic = tags.getall("APIC")
    assert len(apic) == 1 and apic[0].mime == "image/jpeg" and apic[0].data == JPEG
    assert apic[0].type == 3


def test_mp3_id3v23_when_asked(samples: dict[str, Path], tmp_path: Path) -> None:
    path = _copy(samples, "mp3", tmp_path)
    tagger = MutagenTagger()
    tagger.write(path, META, key=KEY, cover=PNG, id3_version=3)
    tags = ID3(path, translate=False)  # as stored: no upgrade to v2.4 frames on load
    assert tags.version[:2] == (2, 3)
    assert tags["TPE1"].text == ["Rick Astley/Guest Ü"]
    assert tags["TYER"].text == ["1987"] and tags["TDAT"].text == ["1211"]
    assert "TDRC" not in tags
    assert tags.getall("APIC")[0].mime == "image/png"
    assert tagger.read_key(path) == KEY
    assert tagger.read(path).title == META.title


def test_m4a_atoms(samples: dict[str, Path], tmp_path: Path) -> None:
    path = _copy(samples, "m4a", tmp_path)
    MutagenTagger().write(path, META, key=KEY, cover=JPEG, replaygain=GAIN)
    tags = MP4(path).tags
    assert tags is not None
    assert tags["\xa9nam"] == [META.title] and tags["\xa9ART"] == list(META.artists)
    assert tags["aART"] == ["Rick Astley"] and tags["\xa9day"] == ["1987-11-12"]
    assert tags["trkn"] == [(1, 10)] and tags["disk"] == [(1, 2)]
    assert tags["rtng"] == [1]
    assert bytes(tags["----:com.apple.iTunes:ISRC"][0]) == b"GBARL9300135"
    assert bytes(tags["----:com.apple.iTunes:SPOTSYNCD_KEY"][0]) == KEY.encode()
    assert bytes(tags["----:com.apple.iTunes:SOURCE_URL"][0]) == META.source_url.encode()  # type: ignore[union-attr]
    assert bytes(tags["covr"][0]) == JPEG


@pytest.mark.parametrize("ext", ["opus", "ogg"])
def test_ogg_vorbis_comments_and_picture(
    samples: dict[str, Path], tmp_path: Path, ext: str
) -> None:
    path = _copy(samples, ext, tmp_path)
    MutagenTagger().write(path, META, key=KEY, cover=PNG, replaygain=GAIN)
    tags = mutagen.File(path).tags
    assert tags["ARTIST"] == ["Rick Astley", "Guest Ü"]
    assert tags["TRACKNUMBER"] == ["1"] and tags["TRACKTOTAL"] == ["10"]
    assert tags["DISCNUMBER"] == ["1"] and tags["DISCTOTAL"] == ["2"]
    assert tags["WEBSITE"] == [META.source_url] and tags["SPOTSYNCD_KEY"] == [KEY]
    assert tags["REPLAYGAIN_TRACK_GAIN"] == ["-4.00 dB"]
    picture = Picture(base64.b64decode(tags["METADATA_BLOCK_PICTURE"][0]))
    assert picture.mime == "image/png" and picture.data == PNG and picture.type == 3


def test_flac_picture_block(samples: dict[str, Path], tmp_path: Path) -> None:
    path = _copy(samples, "flac", tmp_path)
    tagger = MutagenTagger()
    tagger.write(path, META, key=KEY, cover=PNG)
    tagger.write(path, META, key=KEY, cover=JPEG)  # re-tagging replaces, never piles up
    flac = FLAC(path)
    assert [p.data for p in flac.pictures] == [JPEG]
    assert flac["ALBUMARTIST"] == ["Rick Astley"] and flac["ISRC"] == ["GBARL9300135"]


@pytest.mark.parametrize("ext", ["mp3", "m4a", "opus", "flac"])
def test_control_characters_do_not_break_writing(
    samples: dict[str, Path], tmp_path: Path, ext: str
) -> None:
    path = _copy(samples, ext, tmp_path)
    nasty = TrackMeta(title="Bad\x00Title\x07\r\n", artists=("A\x00B", "\x1b[31m", "\ud800x"),
                      album="\x00", genre="Rock\x7f")  # fmt: skip
    tagger = MutagenTagger()
    tagger.write(path, nasty, key="youtube:abc\x00")
    read = tagger.read(path)
    assert read.title == "Bad Title"
    assert read.artists == ("A B", "[31m", "?x")
    assert read.album is None and read.genre == "Rock"
    assert tagger.read_key(path) == "youtube:abc"


@pytest.mark.parametrize("ext", ["mp3", "m4a", "opus", "flac", "ogg"])
def test_untagged_files_read_as_empty(samples: dict[str, Path], tmp_path: Path, ext: str) -> None:
    path = _copy(samples, ext, tmp_path)
    tagger = MutagenTagger()
    assert tagger.read(path).title is None
    assert tagger.read_key(path) is None


def test_embedded_tags_from_the_source_are_read(tmp_path: Path) -> None:
    embedded = {"title": "Song", "artist": "Band", "album": "LP", "track": "3/9"}
    path = make_audio(tmp_path / "tagged.m4a", seconds=0.5, tags=embedded)
    read = MutagenTagger().read(path)
    assert (read.title, read.artists, read.album) == ("Song", ("Band",), "LP")
    assert (read.track_number, read.track_total) == (3, 9)


@pytest.mark.parametrize("content", [b"", b"<html>not audio</html>", b"ID3\x04\x00\x00garbage"])
def test_odd_files_do_not_crash(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "odd.mp3"
    path.write_bytes(content)
    tagger = MutagenTagger()
    assert tagger.read(path) == TrackMeta()
    assert tagger.read_key(path) is None
    assert tagger.read(tmp_path / "missing.mp3") == TrackMeta()


def test_rewriting_clears_fields_that_are_gone(samples: dict[str, Path], tmp_path: Path) -> None:
    path = _copy(samples, "mp3", tmp_path)
    tagger = MutagenTagger()
    tagger.write(path, META, key=KEY, replaygain=GAIN)
    tagger.write(path, TrackMeta(title="Only title"), key=KEY)
    assert tagger.read(path) == TrackMeta(title="Only title")
    assert "TXXX:REPLAYGAIN_TRACK_GAIN" not in ID3(path)
