"""m3u8 playlists: content, relative paths, atomic replacement."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from spotsyncd.core.models import JobState
from spotsyncd.follows.playlists import PlaylistWriter, write_m3u8


@dataclass(frozen=True)
class Entry:
    path: str | None
    duration_s: float | None = 201.6
    artist: str | None = "Björk"
    title: str | None = "Jóga"
    state: JobState = JobState.DONE
    absent_since: float | None = None


def test_entries_in_order_with_extinf_and_paths_relative_to_the_playlist(tmp_path: Path) -> None:
    library = tmp_path / "lib"
    writer = PlaylistWriter(library)
    entries = [
        Entry("Björk/Homogenic/02 - Jóga.mp3"),
        Entry("Other/Song.mp3", duration_s=None, artist=None, title="Song"),
        Entry("Pending/Not yet.mp3", state=JobState.PENDING),  # reserved path, no file yet
        Entry(None, state=JobState.FAILED),
        Entry("Gone/Removed.mp3", absent_since=5.0),  # no longer in the playlist
        Entry("A/No Tags.opus", artist=None, title=None),
    ]

    assert writer.write("Road Trip", entries) is True

    path = library / "Playlists" / "Road Trip.m3u8"
    assert path.read_bytes().decode("utf-8") == (
        "#EXTM3U\n"
        "#EXTINF:202,Björk – Jóga\n"
        "../Björk/Homogenic/02 - Jóga.mp3\n"
        "#EXTINF:-1,Song\n"
        "../Other/Song.mp3\n"
        "#EXTINF:202,No Tags\n"
        "../A/No Tags.opus\n"
    )
    for line in path.read_text(encoding="utf-8").splitlines()[2::2]:
        assert (path.parent / line).resolve().is_relative_to(library.resolve())


def test_tags_cannot_inject_playlist_lines(tmp_path: Path) -> None:
    target = tmp_path / "p.m3u8"
    write_m3u8(target, [Entry("x.mp3", artist="A\n/etc/passwd", title="B\r\n#EXTM3U")],
               library_dir=tmp_path)  # fmt: skip

    assert target.read_text(encoding="utf-8").splitlines() == [
        "#EXTM3U",
        "#EXTINF:202,A /etc/passwd – B #EXTM3U",
        "x.mp3",
    ]


def test_unchanged_content_is_not_rewritten(tmp_path: Path) -> None:
    writer = PlaylistWriter(tmp_path)
    writer.write("mix", [Entry("a.mp3")])
    path = writer.path_for("mix")
    os.utime(path, (1_000_000, 1_000_000))

    assert writer.write("mix", [Entry("a.mp3")]) is False
    assert path.stat().st_mtime == 1_000_000
    assert writer.write("mix", [Entry("a.mp3"), Entry("b.mp3")]) is True


def test_rewrite_replaces_the_file_instead_of_truncating_it(tmp_path: Path) -> None:
    writer = PlaylistWriter(tmp_path)
    writer.write("mix", [Entry("old.mp3")])
    path = writer.path_for("mix")
    with path.open("rb") as reader:  # a player in the middle of reading the old list
        writer.write("mix", [Entry("new.mp3")])
        assert b"old.mp3" in reader.read()
    assert b"new.mp3" in path.read_bytes()
    assert sorted(p.name for p in path.parent.iterdir()) == ["mix.m3u8"]  # no temp files


def test_failed_write_keeps_the_old_playlist_and_leaves_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = PlaylistWriter(tmp_path)
    writer.write("mix", [Entry("old.mp3")])
    before = writer.path_for("mix").read_bytes()

    def disk_full(_fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space"):
        writer.write("mix", [Entry("new.mp3")])

    assert writer.path_for("mix").read_bytes() == before
    assert [p.name for p in writer.path_for("mix").parent.iterdir()] == ["mix.m3u8"]


def test_follow_names_become_safe_file_names(tmp_path: Path) -> None:
    writer = PlaylistWriter(tmp_path)

    path = writer.path_for("AC/DC: ../../Best?")

    assert path.parent == tmp_path / "Playlists"
    assert "/" not in path.name and path.name.endswith(".m3u8")
    assert writer.remove("AC/DC: ../../Best?") is False
    writer.write("AC/DC: ../../Best?", [])
    assert path.read_text(encoding="utf-8") == "#EXTM3U\n"
    assert writer.remove("AC/DC: ../../Best?") is True and not path.exists()
