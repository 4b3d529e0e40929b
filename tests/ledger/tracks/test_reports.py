"""Inbox report lines of nested collections (an artist's albums) count the tracks inside."""

from __future__ import annotations

from pathlib import Path

from spotsyncd.core.models import Link, LinkKind, ListedItem, Listing, Source, TrackMeta
from spotsyncd.ledger import Ledger


def _link(kind: str, n: int) -> Link:
    item_id = f"{kind[:3]}{n:019d}"
    url = f"https://open.spotify.com/{kind}/{item_id}"
    link_kind = LinkKind.TRACK if kind == "track" else LinkKind.COLLECTION
    return Link(f"spotify:{kind}:{item_id}", url, Source.SPOTIFY, link_kind)


def test_an_artist_line_counts_the_tracks_of_its_albums(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    try:
        artist = _link("artist", 1)
        file_id = ledger.start_inbox_file("a.txt")
        ledger.add_inbox_lines(file_id, [(1, artist.url, artist, None)])
        job = ledger.claim_next_job("w")
        assert job is not None
        albums = tuple(ListedItem(_link("album", n), TrackMeta(title=f"A{n}")) for n in (1, 2))
        ledger.expand_collection(job.track.id, Listing("Artist", albums, "fp"))
        assert ledger.report_lines(file_id)[0].children == {"pending": 2}  # albums not listed yet

        album = ledger.claim_next_job("w")
        assert album is not None and album.track.key == albums[0].link.key
        tracks = tuple(ListedItem(_link("track", n), TrackMeta(title=f"T{n}")) for n in (1, 2, 3))
        ledger.expand_collection(album.track.id, Listing("A1", tracks, "fp1"))
        # three tracks of the first album, and the second album still to be listed
        assert ledger.report_lines(file_id)[0].children == {"pending": 4}
    finally:
        ledger.close()
