"""YouTube Music artists and albums: ytmusicapi's own parsers reading the stand-in's pages."""

from __future__ import annotations

import requests

from spotsyncd.core.models import LinkKind, Source
from spotsyncd.intake.links import parse_link
from spotsyncd.sources.ytmusic.catalog import YtMusicCatalog
from tests.fakes.ytmusic_pages import Artist, Release, Track, YtMusicStandIn

CHANNEL = "UC" + "L" * 21 + "x"


def loopbacks() -> Artist:
    return Artist(CHANNEL, "The Loopbacks", [
        Release("MPREb_alb001", "First", "Album", "2020",
                [Track("vid00000001", "Opening", 185), Track("vid00000002", "Closing", 200)]),
        Release("MPREb_alb002", "Second", "Album", "2022", [Track("vid00000003", "Again", 150)]),
        Release("MPREb_alb003", "Third", "Album", "2024", [Track("vid00000004", "Thrice", 151)]),
        Release("MPREb_sgl001", "Hook", "Single", "2023", [Track("vid00000005", "Hook", 170)]),
    ])  # fmt: skip


def catalog(stand_in: YtMusicStandIn, **kwargs: object) -> YtMusicCatalog:
    session = requests.Session()
    session.mount("https://", stand_in)
    return YtMusicCatalog(session, **kwargs)  # type: ignore[arg-type]


def test_artist_link_lists_albums_and_singles_as_album_collections() -> None:
    stand_in = YtMusicStandIn(loopbacks())
    key = parse_link(f"https://music.youtube.com/channel/{CHANNEL}").key
    listing = catalog(stand_in).list(key)
    assert [i.link.key for i in listing.items] == [
        "youtube:album:MPREb_alb001", "youtube:album:MPREb_alb002", "youtube:album:MPREb_alb003",
        "youtube:album:MPREb_sgl001",
    ]  # fmt: skip
    first = listing.items[0]
    assert (first.link.source, first.link.kind) == (Source.YOUTUBE, LinkKind.COLLECTION)
    assert parse_link(first.link.url).key == first.link.key  # the album link means the same
    assert (first.meta.album, first.meta.date, first.meta.album_artist) == (
        "First", "2020", "The Loopbacks",
    )  # fmt: skip
    assert listing.title == "The Loopbacks"
    assert "3 albums, 1 singles" in listing.notes[0]
    # the shelf showed two albums: the full list came from get_artist_albums
    assert stand_in.calls[f"releases:{CHANNEL}"] == 1


def test_album_lands_with_album_metadata_and_track_numbers() -> None:
    listing = catalog(YtMusicStandIn(loopbacks())).list("youtube:album:MPREb_alb001")
    assert [i.link.key for i in listing.items] == ["youtube:vid00000001", "youtube:vid00000002"]
    second = listing.items[1].meta
    assert (second.title, second.album, second.artists, second.track_number, second.track_total,
            second.date, second.duration_s) == (
        "Closing", "First", ("The Loopbacks",), 2, 2, "2020", 200.0,
    )  # fmt: skip
    assert second.cover_url and second.cover_url.endswith("w544-h544")
    assert listing.items[1].link.url == "https://www.youtube.com/watch?v=vid00000002"


def test_singles_only_and_the_snapshot_is_one_request() -> None:
    stand_in = YtMusicStandIn(loopbacks())
    source = catalog(stand_in, include=("single", "compilation"))
    listing = source.list(f"youtube:artist:{CHANNEL}")
    assert [i.link.key for i in listing.items] == ["youtube:album:MPREb_sgl001"]
    assert "no compilation shelf" in listing.notes[0]
    before = sum(stand_in.calls.values())
    assert source.snapshot(f"youtube:artist:{CHANNEL}") == listing.fingerprint
    assert sum(stand_in.calls.values()) == before + 1
    stand_in.artists[CHANNEL].releases.insert(
        0,
        Release("MPREb_sgl002", "Brand New", "Single", "2026", [Track("vid00000009", "New", 160)]),
    )
    assert source.snapshot(f"youtube:artist:{CHANNEL}") != listing.fingerprint
