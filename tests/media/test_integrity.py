"""The null decode behind ``verify``, on real files cut short or replaced by garbage."""

from __future__ import annotations

from pathlib import Path

import imageio_ffmpeg
import pytest

from spotsyncd.media import integrity
from spotsyncd.media.integrity import decode_check, decode_many
from tests.fakes.audio import make_audio

FFMPEG = Path(imageio_ffmpeg.get_ffmpeg_exe())


@pytest.mark.parametrize("ext", ["mp3", "opus", "flac", "m4a"])
def test_a_whole_file_decodes_to_its_length(tmp_path: Path, ext: str) -> None:
    path = make_audio(tmp_path / f"a.{ext}", seconds=2.0)
    check = decode_check(FFMPEG, path, expected_s=2.0)
    assert check.ok and check.decoded_s is not None and abs(check.decoded_s - 2.0) < 0.1


def test_a_file_shorter_than_filed_is_truncated(tmp_path: Path) -> None:
    path = make_audio(tmp_path / "a.opus", seconds=2.0)
    check = decode_check(FFMPEG, path, expected_s=6.0)
    assert not check.ok and check.problem == "truncated: plays 2.0 s of the 6.0 s filed"
    assert decode_check(FFMPEG, path, expected_s=2.9).ok  # within a second: padding, not loss


@pytest.mark.parametrize("ext", ["opus", "m4a"])
def test_a_file_cut_in_half_is_caught(tmp_path: Path, ext: str) -> None:
    path = make_audio(tmp_path / f"a.{ext}", seconds=4.0)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    check = decode_check(FFMPEG, path, expected_s=4.0)
    assert not check.ok
    assert check.problem is not None
    assert check.problem.startswith(("truncated", "does not decode"))


def test_garbage_and_empty_files_do_not_decode(tmp_path: Path) -> None:
    html = tmp_path / "a.mp3"
    html.write_bytes(b"<html><body>Sign in to confirm you are not a bot</body></html>")
    empty = tmp_path / "b.m4a"
    empty.write_bytes(b"")
    for path in (html, empty):
        check = decode_check(FFMPEG, path, expected_s=3.0)
        assert not check.ok and check.problem is not None


def test_a_batch_is_judged_file_by_file_in_one_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = make_audio(tmp_path / "good.mp3", seconds=2.0)
    short = make_audio(tmp_path / "short.opus", seconds=1.0)
    flac = make_audio(tmp_path / "cut.flac", seconds=4.0)
    data = flac.read_bytes()
    flac.write_bytes(data[: len(data) // 2])
    items = [(good, 2.0), (short, 5.0), (flac, 4.0), (good, None)]
    singly: list[Path] = []
    real = integrity.decode_check
    monkeypatch.setattr(
        integrity, "decode_check", lambda p, **kw: singly.append(p) or real(p, **kw)
    )
    checks = decode_many(FFMPEG, items)
    assert singly == []  # one ffmpeg run, no fall-back to a process per file
    monkeypatch.undo()
    assert [c.ok for c in checks] == [True, False, False, True]
    assert checks[0].decoded_s == pytest.approx(2.0, abs=0.05)
    assert checks[1].problem == "truncated: plays 1.0 s of the 5.0 s filed"
    assert checks[2].problem is not None and "@ 0x" not in checks[2].problem
    # the same answers as one ffmpeg per file
    singles = [decode_check(FFMPEG, p, expected_s=e) for p, e in items]
    assert [c.ok for c in singles] == [c.ok for c in checks]


def test_a_file_that_cannot_be_opened_does_not_sink_the_batch(tmp_path: Path) -> None:
    good = make_audio(tmp_path / "good.m4a", seconds=1.0)
    cut = make_audio(tmp_path / "cut.m4a", seconds=2.0)
    cut.write_bytes(cut.read_bytes()[:1000])  # no moov atom: ffmpeg cannot open it at all
    junk = tmp_path / "junk.mp3"
    junk.write_bytes(b"<html>not audio</html>")
    checks = decode_many(FFMPEG, [(good, 1.0), (cut, 2.0), (junk, 3.0), (good, 1.0)])
    assert [c.ok for c in checks] == [True, False, False, True]
    assert all(c.problem and c.problem.startswith("does not decode") for c in checks[1:3])
