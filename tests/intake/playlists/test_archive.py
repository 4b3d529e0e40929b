"""Spotify's account data export as downloaded, a zip: its library files are read from memory
(the real ones, zipped here), the rest left alone, and a hostile or foreign zip gets a reason."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from spotsyncd.intake.playlists.entries import NotAPlaylistError, PlaylistFileError
from spotsyncd.intake.playlists.formats import read_playlist_file


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_the_downloaded_zip_gives_what_its_files_give(playlists_dir: Path) -> None:
    library = (playlists_dir / "spotify_account_YourLibrary.json").read_bytes()
    playlists = (playlists_dir / "spotify_account_Playlist1.json").read_bytes()
    data = _zip({
        "Spotify Account Data/Playlist1.json": playlists,
        "Spotify Account Data/StreamingHistory_music_0.json": b"[]",
        "Spotify Account Data/Userdata.json": b'{"username": "x"}',
        "Spotify Account Data/YourLibrary.json": library,
    })  # fmt: skip
    joined = read_playlist_file(data, "my_spotify_data.zip")
    alone = [read_playlist_file(library, "YourLibrary.json"),
             read_playlist_file(playlists, "Playlist1.json")]  # fmt: skip
    assert [c.name for c in joined.collections] == [
        c.name for part in alone for c in part.collections
    ]  # YourLibrary.json first, whatever the zip's order
    assert joined.entry_count == sum(part.entry_count for part in alone)
    assert len(joined.problems) == sum(len(part.problems) for part in alone)
    positions = [e.position for c in joined.collections for e in c.entries]
    positions += [p for p, _, _ in joined.problems]
    assert len(positions) == len(set(positions))  # each names one item of the report
    first = joined.collections[0].entries[0]
    assert first == alone[0].collections[0].entries[0]


@pytest.mark.parametrize(
    ("members", "error", "why"),
    [
        ({"a/StreamingHistory_music_0.json": b"[]"}, NotAPlaylistError, "listening history"),
        ({"photo.jpg": b"\xff\xd8"}, NotAPlaylistError, "without YourLibrary.json"),
        ({"Playlist1.json": b"{"}, PlaylistFileError, "not valid JSON"),
    ],
)
def test_a_zip_that_holds_no_library_says_why(
    members: dict[str, bytes], error: type[Exception], why: str
) -> None:
    with pytest.raises(error, match=why):
        read_playlist_file(_zip(members), "export.zip")


def test_a_damaged_or_oversized_zip_is_refused_without_unpacking_it() -> None:
    with pytest.raises(PlaylistFileError, match="damaged zip"):
        read_playlist_file(b"PK\x03\x04" + b"\x00" * 64, "export.zip")
    bomb = _zip({"Playlist1.json": b"{" + b" " * (65 * 1024 * 1024) + b"}"})  # 65 MiB of spaces
    assert len(bomb) < 1024 * 1024
    with pytest.raises(PlaylistFileError, match="over 64 MiB"):
        read_playlist_file(bomb, "export.zip")
