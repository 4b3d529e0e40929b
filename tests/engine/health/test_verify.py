"""``verify``: a real ledger, real tagged audio, real ffmpeg decodes; what it finds and fixes."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import imageio_ffmpeg
import mutagen
import pytest

from spotsyncd.core.config import Config
from spotsyncd.core.models import JobState, TrackMeta
from spotsyncd.engine.health.verify import Problem, Verifier
from spotsyncd.ledger import Ledger
from spotsyncd.media.integrity import decode_many
from spotsyncd.media.tags import MutagenTagger
from tests.fakes.audio import make_audio
from tests.fakes.filed import file_track

FFMPEG = Path(imageio_ffmpeg.get_ffmpeg_exe())


@pytest.fixture
def config(tmp_path: Path) -> Config:
    library = tmp_path / "library"
    library.mkdir()
    return Config(library_dir=library, inbox_dir=library / "inbox", state_dir=tmp_path / "state",
                  log_file=None)  # fmt: skip


@pytest.fixture
def ledger(config: Config) -> Iterator[Ledger]:
    config.state_dir.mkdir()
    led = Ledger(config.ledger_path)
    yield led
    led.close()


def meta(n: int, **extra: str) -> TrackMeta:
    return TrackMeta(title=f"Song {n}", artists=("Band",), album="Album", **extra)  # type: ignore[arg-type]


def verify(config: Config, ledger: Ledger, *, fix: bool = False) -> tuple[list[Problem], Verifier]:
    verifier = Verifier(
        config, ledger, MutagenTagger(),
        lambda items: decode_many(FFMPEG, items), fix=fix,
    )  # fmt: skip
    return list(verifier.run()), verifier


def by_kind(problems: list[Problem]) -> dict[str, list[Problem]]:
    out: dict[str, list[Problem]] = {}
    for problem in problems:
        out.setdefault(problem.kind, []).append(problem)
    return out


@pytest.mark.e2e
def test_a_healthy_library_has_no_problems(config: Config, ledger: Ledger) -> None:
    for n in range(3):
        file_track(ledger, config.library_dir, n, f"Band/Album/Song {n}.mp3", meta(n))
    (config.library_dir / "inbox").mkdir()
    (config.library_dir / "inbox" / "x.mp3").write_bytes(b"not ours to judge")
    problems, verifier = verify(config, ledger)
    assert problems == []
    assert verifier.summary.tracks == 3 and verifier.summary.files == 3


@pytest.mark.e2e
def test_finds_and_fixes_deleted_truncated_and_untagged_files(
    config: Config, ledger: Ledger
) -> None:
    lib = config.library_dir
    good = file_track(ledger, lib, 0, "Band/Album/Song 0.mp3", meta(0))
    gone = file_track(ledger, lib, 1, "Band/Album/Song 1.mp3", meta(1))
    cut = file_track(ledger, lib, 2, "Band/Album/Song 2.mp3", meta(2))
    bare = file_track(ledger, lib, 3, "Band/Album/Song 3.m4a", meta(3))
    (lib / "Band/Album/Song 1.mp3").unlink()
    data = (lib / "Band/Album/Song 2.mp3").read_bytes()
    (lib / "Band/Album/Song 2.mp3").write_bytes(data[: len(data) // 2])
    untagged = mutagen.File(lib / "Band/Album/Song 3.m4a")
    untagged.delete()
    (lib / "Stray").mkdir()
    make_audio(lib / "Stray/unknown.mp3", seconds=0.5)  # a file the user put there

    problems, verifier = verify(config, ledger)
    kinds = by_kind(problems)
    assert [p.key for p in kinds["missing"]] == [gone.key]
    assert [p.key for p in kinds["broken"]] == [cut.key]
    assert kinds["broken"][0].detail.startswith(("truncated", "does not decode"))
    assert [p.key for p in kinds["untagged"]] == [bare.key]
    assert [p.path for p in kinds["unknown_file"]] == ["Stray/unknown.mp3"]
    assert all(not p.fixed for p in problems) and "download again" in kinds["missing"][0].fix
    assert verifier.summary.problems == 3 and verifier.summary.notes == 1
    assert (lib / "Band/Album/Song 2.mp3").exists()  # without --fix nothing changes
    assert MutagenTagger().read_key(lib / "Band/Album/Song 3.m4a") is None

    problems, verifier = verify(config, ledger, fix=True)
    assert {p.kind for p in problems if p.fixed} == {"missing", "broken", "untagged"}
    assert verifier.summary.requeued == 2
    for track in (gone, cut):
        row = ledger.track(track.key)
        assert row is not None and row.state == JobState.PENDING and row.path is None
    assert not (lib / "Band/Album/Song 2.mp3").exists()
    assert len(list((config.state_dir / "quarantine").iterdir())) == 1  # moved aside, not deleted
    fixed = lib / "Band/Album/Song 3.m4a"
    assert MutagenTagger().read_key(fixed) == bare.key
    assert MutagenTagger().read(fixed).title == "Song 3"
    assert (lib / "Stray/unknown.mp3").exists()  # unknown files are left alone
    assert not list(lib.rglob(".spotsyncd-*"))

    problems, verifier = verify(config, ledger)
    assert {p.kind for p in problems} == {"unknown_file"}
    assert verifier.summary.problems == 0 and verifier.summary.tracks == 2
    assert good.key  # the healthy track was never touched
    assert ledger.track(good.key).state == JobState.DONE  # type: ignore[union-attr]


def test_tags_that_differ_from_the_ledger_are_rewritten(config: Config, ledger: Ledger) -> None:
    row = file_track(ledger, config.library_dir, 0, "a.opus", meta(0))
    MutagenTagger().write(config.library_dir / "a.opus", TrackMeta(title="Wrong"), key=row.key)
    problems, _ = verify(config, ledger, fix=True)
    assert [p.kind for p in problems] == ["tags_differ"] and problems[0].fixed
    assert "title 'Wrong' instead of 'Song 0'" in problems[0].detail
    assert MutagenTagger().read(config.library_dir / "a.opus").artists == ("Band",)
    assert verify(config, ledger)[0] == []


def test_two_tracks_for_one_recording(config: Config, ledger: Ledger) -> None:
    lib = config.library_dir
    first = file_track(ledger, lib, 0, "a.mp3", meta(0, isrc="GBDUW0000059"))
    file_track(ledger, lib, 1, "b.mp3", meta(1, isrc="gbduw0000059"))
    shutil.copy(lib / "a.mp3", lib / "a copy.mp3")  # same key tag, no track owns this path
    problems, _ = verify(config, ledger, fix=True)
    dupes = by_kind(problems)["duplicate"]
    assert {p.path for p in dupes} == {"b.mp3", "a copy.mp3"}
    assert any(first.key in p.detail for p in dupes)
    assert not any(p.fixed for p in dupes) and (lib / "a copy.mp3").exists()


def test_garbage_where_a_file_should_be_is_broken(config: Config, ledger: Ledger) -> None:
    file_track(ledger, config.library_dir, 0, "a.mp3", meta(0))
    file_track(ledger, config.library_dir, 1, "b.flac", meta(1))
    (config.library_dir / "a.mp3").write_bytes(b"<html>a login page</html>" * 40)
    data = (config.library_dir / "b.flac").read_bytes()
    (config.library_dir / "b.flac").write_bytes(data[: len(data) // 2])
    problems, _ = verify(config, ledger)
    assert [p.kind for p in problems] == ["broken", "broken"]
    for problem in problems:
        assert problem.detail.startswith(("does not decode: ", "holds no audio", "truncated"))
        assert "@ 0x" not in problem.detail  # ffmpeg's internal addresses say nothing to a user


@pytest.mark.e2e
def test_a_move_cut_short_is_finished_not_fetched_again(config: Config, ledger: Ledger) -> None:
    row = file_track(ledger, config.library_dir, 0, "old/a.mp3", meta(0))
    assert ledger.begin_move(row.id, "old/a.mp3", "new/a.mp3")  # ... and then a crash
    problems, _ = verify(config, ledger)
    assert [(p.kind, p.fixed) for p in problems] == [("interrupted_move", False)]
    problems, verifier = verify(config, ledger, fix=True)
    assert [(p.kind, p.fixed) for p in problems] == [("interrupted_move", True)]
    assert (config.library_dir / "new/a.mp3").is_file() and verifier.summary.requeued == 0
    assert verify(config, ledger)[0] == []
