"""MusicBrainz and AcoustID IDs in mp3, m4a, opus and flac, under Picard's names, read back
with mutagen itself."""

from __future__ import annotations

import shutil
from pathlib import Path

import mutagen
import pytest
from mutagen.id3 import ID3
from mutagen.mp4 import MP4

from spotsyncd.core.models import Identity, TrackMeta, Verdict
from spotsyncd.media.tags import MutagenTagger
from tests.fakes.audio import make_audio

KEY = "spotify:track:4uLU6hMCjMI75M1A2tKUQC"
META = TrackMeta(title="Symphony no. 40: I. Allegro molto", artists=("Hans Graf",))
FOUND = Identity(
    verdict=Verdict.VERIFIED,
    recording_id="d88ad1b4-73a7-4b3d-893a-9a6bfc8cf429",
    release_id="10cd503c-2466-3ab3-8e5f-1d8632c0df88",
    release_group_id="c24e5416-cd2e-4cff-851b-5faa78db98a2",
    release_track_id="17dfd781-0780-3d08-b3e0-809dda9d171f",
    artist_ids=("b791b51c-03d0-427e-a96e-75090623d168", "a027c92f-0fe9-4a6d-af45-6f5fd18ed544"),
    album_artist_ids=("b791b51c-03d0-427e-a96e-75090623d168",),
    acoustid_id="38338eff-b530-498c-a2ef-07e01d642187",
)
VORBIS = {
    "MUSICBRAINZ_TRACKID": [FOUND.recording_id],
    "MUSICBRAINZ_ALBUMID": [FOUND.release_id],
    "MUSICBRAINZ_ARTISTID": list(FOUND.artist_ids),
    "MUSICBRAINZ_ALBUMARTISTID": list(FOUND.album_artist_ids),
    "MUSICBRAINZ_RELEASEGROUPID": [FOUND.release_group_id],
    "MUSICBRAINZ_RELEASETRACKID": [FOUND.release_track_id],
    "ACOUSTID_ID": [FOUND.acoustid_id],
}


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("samples")
    return {ext: make_audio(root / f"s.{ext}", seconds=0.5) for ext in ("mp3", "m4a", "opus",
                                                                        "flac")}  # fmt: skip


def _tagged(samples: dict[str, Path], ext: str, tmp_path: Path) -> Path:
    path = Path(shutil.copy(samples[ext], tmp_path / f"t.{ext}"))
    MutagenTagger().write(path, META, key=KEY, identity=FOUND)
    return path


def test_mp3_carries_the_ufid_and_picards_txxx_frames(
    samples: dict[str, Path], tmp_path: Path
) -> None:
    path = _tagged(samples, "mp3", tmp_path)
    tags = ID3(path)
    assert tags["UFID:http://musicbrainz.org"].data == FOUND.recording_id.encode()  # type: ignore[union-attr]
    texts = {f.desc: list(f.text) for f in tags.getall("TXXX")}
    assert texts["MusicBrainz Album Id"] == [FOUND.release_id]
    assert texts["MusicBrainz Artist Id"] == list(FOUND.artist_ids)
    assert texts["MusicBrainz Album Artist Id"] == list(FOUND.album_artist_ids)
    assert texts["MusicBrainz Release Group Id"] == [FOUND.release_group_id]
    assert texts["MusicBrainz Release Track Id"] == [FOUND.release_track_id]
    assert texts["Acoustid Id"] == [FOUND.acoustid_id]
    assert MutagenTagger().read_recording_id(path) == FOUND.recording_id


def test_m4a_carries_picards_freeform_atoms(samples: dict[str, Path], tmp_path: Path) -> None:
    path = _tagged(samples, "m4a", tmp_path)
    tags = MP4(path).tags
    assert tags is not None

    def atom(name: str) -> list[str]:
        return [bytes(v).decode() for v in tags[f"----:com.apple.iTunes:{name}"]]

    assert atom("MusicBrainz Track Id") == [FOUND.recording_id]
    assert atom("MusicBrainz Album Id") == [FOUND.release_id]
    assert atom("MusicBrainz Artist Id") == list(FOUND.artist_ids)
    assert atom("MusicBrainz Release Group Id") == [FOUND.release_group_id]
    assert atom("Acoustid Id") == [FOUND.acoustid_id]
    assert MutagenTagger().read_recording_id(path) == FOUND.recording_id


@pytest.mark.parametrize("ext", ["opus", "flac"])
def test_vorbis_comments_carry_picards_names(
    samples: dict[str, Path], tmp_path: Path, ext: str
) -> None:
    path = _tagged(samples, ext, tmp_path)
    tags = mutagen.File(path).tags
    assert {name: list(tags[name]) for name in VORBIS} == VORBIS
    assert MutagenTagger().read_recording_id(path) == FOUND.recording_id


@pytest.mark.parametrize("ext", ["mp3", "m4a", "opus", "flac"])
def test_ids_no_longer_known_go_and_no_identity_leaves_them(
    samples: dict[str, Path], tmp_path: Path, ext: str
) -> None:
    path = _tagged(samples, ext, tmp_path)
    tagger = MutagenTagger()
    tagger.write(path, META, key=KEY)  # nothing said about identity: the IDs stay
    assert tagger.read_recording_id(path) == FOUND.recording_id
    tagger.write(path, META, key=KEY, identity=Identity(acoustid_id=FOUND.acoustid_id))
    assert tagger.read_recording_id(path) is None
    assert tagger.read_key(path) == KEY
