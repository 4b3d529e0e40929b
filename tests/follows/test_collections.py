"""Each collection's ``.m3u8`` lists its downloaded tracks in the file's order (real SQLite)."""

from __future__ import annotations

from pathlib import Path

from spotsyncd.core.models import Link, LinkKind, Source, TrackMeta
from spotsyncd.follows.collections import write_collection_playlists
from spotsyncd.follows.playlists import PlaylistWriter
from spotsyncd.ledger import Ledger
from tests.ledger.follows.test_registry import finish


def search(n: int) -> Link:
    return Link(f"search:band - song {n}", f"https://music.youtube.com/search?q=Band+-+Song+{n}",
                Source.SEARCH, LinkKind.TRACK)  # fmt: skip


def test_collection_playlists_list_what_is_filed_in_order(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    try:
        links = [search(n) for n in range(1, 4)]
        ledger.add_links(links, metas=[TrackMeta(title=f"Song {n}", artists=("Band",))
                                       for n in range(1, 4)])  # fmt: skip
        ledger.save_collection("Road / Trip", [search(3).key, search(1).key, search(2).key])
        ledger.save_collection("Liked Songs", [search(2).key])
        finish(ledger, search(1).key, "Band/Album/01 - Song 1.mp3")
        finish(ledger, search(3).key, "Band/Album/03 - Song 3.mp3")
        writer = PlaylistWriter(tmp_path / "library")
        assert write_collection_playlists(ledger, writer) == 2
        road = (tmp_path / "library" / "Playlists").glob("Road*Trip.m3u8")
        text = next(road).read_text(encoding="utf-8")
        assert text.splitlines()[2::2] == [
            "../Band/Album/03 - Song 3.mp3",
            "../Band/Album/01 - Song 1.mp3",
        ]
        liked = tmp_path / "library" / "Playlists" / "Liked Songs.m3u8"
        assert liked.read_text(encoding="utf-8") == "#EXTM3U\n"
        assert write_collection_playlists(ledger, writer) == 0  # unchanged: not written again
        finish(ledger, search(2).key, "Band/Album/02 - Song 2.mp3")
        assert write_collection_playlists(ledger, writer) == 2
        assert "../Band/Album/02 - Song 2.mp3" in liked.read_text(encoding="utf-8")
    finally:
        ledger.close()


def test_a_follow_of_the_same_name_keeps_its_playlist_file(tmp_path: Path) -> None:
    """Following Spotify's liked songs and importing the export's liked songs: one file, the
    follow's, not two lists overwriting each other."""
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    try:
        ledger.add_links([search(1)], metas=[TrackMeta(title="Song 1", artists=("Band",))])
        ledger.save_collection("Liked Songs", [search(1).key])
        finish(ledger, search(1).key, "Band/Album/01 - Song 1.mp3")
        writer = PlaylistWriter(tmp_path / "library")
        assert write_collection_playlists(ledger, writer, follow_names=["liked songs"]) == 0
        assert not (tmp_path / "library" / "Playlists" / "Liked Songs.m3u8").exists()
        assert write_collection_playlists(ledger, writer, follow_names=["Other"]) == 1
    finally:
        ledger.close()
