"""The library's reads on both databases: albums and artists of filed tracks, sorted pages,
the event log newest first with filters."""

from __future__ import annotations

from pathlib import Path

from spotsyncd.core.models import TrackMeta
from spotsyncd.intake.links import parse_link
from spotsyncd.ledger import Ledger
from tests.fakes.filed import file_track


def test_albums_artists_and_sorted_pages(ledger: Ledger, tmp_path: Path) -> None:
    for n, (artist, title, album) in enumerate([("b_band", "Zed", "Alpha"), ("A%ct", "Yon", None),
                                                ("b_band", "Ark", "Alpha")]):  # fmt: skip
        meta = TrackMeta(title=title, artists=(artist,), album=album)
        file_track(ledger, tmp_path, n, f"{n}.mp3", meta, seconds=0.5)
    ledger.add_links([parse_link("https://youtu.be/notfiled000")])  # not filed: not shown
    albums = ledger.albums()
    assert [(a["artist"], a["album"], a["tracks"]) for a in albums] == [
        ("A%ct", "", 1), ("b_band", "Alpha", 2)
    ]  # fmt: skip
    assert [a["album"] for a in ledger.albums(sort="added", descending=True)] == ["Alpha", ""]
    assert [a["artist"] for a in ledger.albums(query="%")] == ["A%ct"]  # a literal %
    assert [(a["artist"], a["albums"]) for a in ledger.artists()] == [("A%ct", 1), ("b_band", 1)]
    assert [a["artist"] for a in ledger.albums(offset=1, limit=1)] == ["b_band"]  # in SQL
    assert ledger.albums(offset=2, limit=5) == []
    assert [a["artist"] for a in ledger.artists(offset=1)] == ["b_band"]
    assert [t.title for t in ledger.filed_page(sort="title")] == ["Ark", "Yon", "Zed"]
    assert [t.title for t in ledger.filed_page(sort="title", descending=True, offset=1)] == [
        "Yon", "Ark"
    ]  # fmt: skip
    assert [t.title for t in ledger.filed_page(artist="b_band", album="Alpha")] == ["Zed", "Ark"]
    assert [t.title for t in ledger.filed_page(album="")] == ["Yon"]


def test_events_newest_first_with_filters(ledger: Ledger) -> None:
    ledger.add_links([parse_link("https://youtu.be/aaaaaaaaaaa")])
    ledger.event("warning", "offline", "no network")
    newest = ledger.events_page(limit=1)
    assert [e["kind"] for e in newest] == ["offline"]
    older = ledger.events_page(before_id=newest[0]["id"])
    assert [(e["kind"], e["key"]) for e in older] == [("queued", "youtube:aaaaaaaaaaa")]
    assert [e["kind"] for e in ledger.events_page(level="warning")] == ["offline"]
    assert [e["kind"] for e in ledger.events_page(query="aaaaaaa")] == ["queued"]
    assert ledger.event_kinds() == ["offline", "queued"]
