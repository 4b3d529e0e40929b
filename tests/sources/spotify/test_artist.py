"""A Spotify artist's releases through the loopback stand-in (2026 shapes: ten a page,
absolute ``next``), and the embed-page fallback with what it cannot see."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from spotsyncd.core.models import LinkKind, Source
from spotsyncd.sources.spotify.source import SpotifySource
from tests.fakes.spotify_api import FakeSpotify
from tests.sources.spotify.test_source import config

ARTIST = "Ada Lovelace Trio"


@pytest.fixture
def fake() -> Iterator[FakeSpotify]:
    with FakeSpotify() as spotify:
        for n in range(12):  # more albums than one 2026 page holds
            spotify.add_release(ARTIST, f"alb{n:019d}", f"Album {n}", ["A", "B"],
                                release_date=f"20{10 + n}-01-01")  # fmt: skip
        spotify.add_release(ARTIST, "sgl0000000000000000001", "Single", ["S"], group="single")
        spotify.add_release(ARTIST, "cmp0000000000000000001", "Best Of", ["C"], group="compilation")
        yield spotify


def _source(fake: FakeSpotify, tmp_path: Path, **kwargs: object) -> SpotifySource:
    return SpotifySource(config(fake, **kwargs), tmp_path / "t.json")  # type: ignore[arg-type]


def test_albums_and_singles_by_default_across_pages(fake: FakeSpotify, tmp_path: Path) -> None:
    source = _source(fake, tmp_path)
    listing = source.list(f"spotify:artist:{fake.artist_id(ARTIST)}")
    keys = [item.link.key for item in listing.items]
    assert len(keys) == 13 and "spotify:album:sgl0000000000000000001" in keys
    assert "spotify:album:cmp0000000000000000001" not in keys  # compilations are opt-in
    assert keys[0] == "spotify:album:alb0000000000000000011"  # newest album first
    first = listing.items[0]
    assert (first.link.source, first.link.kind) == (Source.SPOTIFY, LinkKind.COLLECTION)
    assert (first.meta.album, first.meta.date, first.meta.album_artist) == (
        "Album 11", "2021-01-01", ARTIST,
    )  # fmt: skip
    assert listing.title == ARTIST
    assert fake.hits[f"/v1/artists/{fake.artist_id(ARTIST)}/albums"] == 2  # 10 + 3, via next
    assert "Web API" in listing.notes[0] and "12 albums, 1 single" in listing.notes[0]


def test_include_groups_are_configurable(fake: FakeSpotify, tmp_path: Path) -> None:
    source = SpotifySource(
        config(fake), tmp_path / "t.json", artist_include=("single", "compilation")
    )
    listing = source.list(f"spotify:artist:{fake.artist_id(ARTIST)}")
    assert [i.link.key.rsplit(":", 1)[1] for i in listing.items] == [
        "sgl0000000000000000001", "cmp0000000000000000001",
    ]  # fmt: skip


def test_snapshot_is_one_request_and_changes_with_a_new_release(
    fake: FakeSpotify, tmp_path: Path
) -> None:
    source = _source(fake, tmp_path)
    key = f"spotify:artist:{fake.artist_id(ARTIST)}"
    listing = source.list(key)
    path = f"/v1/artists/{fake.artist_id(ARTIST)}/albums"
    before = fake.hits[path]
    assert source.snapshot(key) == listing.fingerprint
    assert fake.hits[path] == before + 1
    fake.add_release(ARTIST, "sgl0000000000000000002", "New Single", ["N"], group="single",
                     release_date="2026-11-01")  # fmt: skip
    changed = source.snapshot(key)
    assert changed != listing.fingerprint
    assert source.list(key).fingerprint == changed


def test_without_credentials_the_embed_page_says_what_it_cannot_see(
    fake: FakeSpotify, tmp_path: Path
) -> None:
    source = _source(fake, tmp_path, client_id=False, secret=False)
    listing = source.list(f"spotify:artist:{fake.artist_id(ARTIST)}")
    assert len(listing.items) == 10
    assert all(i.link.kind is LinkKind.TRACK for i in listing.items)
    assert (
        "embed page" in listing.notes[0] and "none of their albums or singles" in listing.notes[0]
    )
    assert not any(path.startswith("/v1/") for path in fake.hits)
