"""A follow's artwork (``Playlists/NAME.jpg``): fetched when the listing changes, never on an
unchanged poll; a new artwork URL is a change by itself (its query string is not); a feed's
image is asked for only when the feed changed; identical bytes are not rewritten."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from spotsyncd.core.models import Listing
from spotsyncd.follows.playlists import PlaylistWriter
from spotsyncd.follows.sync import FollowPoller
from tests.follows.test_sync import FEED, Env, FakeLister

JPEG_A = b"\xff\xd8\xff\xe0 first cover"
JPEG_B = b"\xff\xd8\xff\xe0 second cover"


class ImageLister(FakeLister):
    def __init__(self) -> None:
        super().__init__()
        self.image: str | None = None

    def list(self, url: str) -> Listing | None:
        found = super().list(url)
        return replace(found, image_url=self.image) if found is not None else None


class Artwork:
    def __init__(self) -> None:
        self.images: dict[str, bytes | None] = {}
        self.fetched: Counter[str] = Counter()
        self.feed_image: str | None = None
        self.feed_asked = 0
        self.changes = 0

    def fetch(self, url: str) -> bytes | None:
        self.fetched[url] += 1
        return self.images.get(url)

    def of_feed(self, url: str) -> str | None:
        self.feed_asked += 1
        return self.feed_image

    def changed(self) -> None:
        self.changes += 1


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Env, ImageLister, Artwork, Path]]:
    env = Env(tmp_path)
    lister, art = ImageLister(), Artwork()
    env.playlists = PlaylistWriter(env.library, art.changed)
    env.poller = FollowPoller(env.ledger, spotify=env.spotify, lister=lister, wake=lambda: None,
                              library_dir=env.library, playlists=env.playlists,
                              fetch_artwork=art.fetch, feed_artwork=art.of_feed)  # fmt: skip
    env.follow(f"url:{FEED}", FEED, "radio")
    yield env, lister, art, env.library / "Playlists" / "radio.jpg"
    env.ledger.close()


@pytest.mark.e2e
def test_artwork_written_on_change_only(world: tuple[Env, ImageLister, Artwork, Path]) -> None:
    env, lister, art, jpg = world
    lister.items[FEED] = [1, 2]
    lister.image = "https://i.example.org/pl/cover.jpg?sig=one"
    art.images = {lister.image: JPEG_A}
    assert env.poller.poll(env.row("radio")).status == "changed"
    assert jpg.read_bytes() == JPEG_A and art.changes >= 1
    stamp = jpg.stat().st_mtime_ns, jpg.stat().st_ino

    lister.image = "https://i.example.org/pl/cover.jpg?sig=two"  # only the signature moved
    assert env.poller.poll(env.row("radio")).status == "unchanged"
    assert sum(art.fetched.values()) == 1 and (jpg.stat().st_mtime_ns, jpg.stat().st_ino) == stamp

    lister.image = "https://i.example.org/pl/new-cover.jpg"  # same tracks, new artwork
    art.images[lister.image] = JPEG_B
    changes = art.changes
    env.poller.poll(env.row("radio"))
    assert jpg.read_bytes() == JPEG_B and art.changes == changes + 1
    assert art.feed_asked == 0  # the listing named its artwork: no feed request


def test_same_bytes_are_not_rewritten(world: tuple[Env, ImageLister, Artwork, Path]) -> None:
    env, lister, art, jpg = world
    lister.items[FEED] = [1]
    lister.image = "https://i.example.org/a.jpg"
    art.images = {lister.image: JPEG_A, "https://i.example.org/b.jpg": JPEG_A}
    env.poller.poll(env.row("radio"))
    stamp, changes = (jpg.stat().st_mtime_ns, jpg.stat().st_ino), art.changes
    lister.image = "https://i.example.org/b.jpg"  # another URL, the very same picture
    env.poller.poll(env.row("radio"))
    assert art.fetched["https://i.example.org/b.jpg"] == 1
    assert (jpg.stat().st_mtime_ns, jpg.stat().st_ino) == stamp and art.changes == changes


def test_a_feed_image_is_asked_for_when_the_feed_changed(
    world: tuple[Env, ImageLister, Artwork, Path],
) -> None:
    env, lister, art, jpg = world
    lister.items[FEED] = [1]
    art.feed_image = "https://feeds.example.org/art.png"
    art.images = {art.feed_image: JPEG_A}
    env.poller.poll(env.row("radio"))
    assert art.feed_asked == 1 and jpg.read_bytes() == JPEG_A
    env.poller.poll(env.row("radio"))  # unchanged: no feed request, no image request
    assert art.feed_asked == 1 and sum(art.fetched.values()) == 1
    lister.items[FEED] = [1, 2]
    art.images[art.feed_image] = JPEG_B  # new art at the same URL, read with the new episode
    env.poller.poll(env.row("radio"))
    assert art.feed_asked == 2 and jpg.read_bytes() == JPEG_B


def test_unfetchable_artwork_keeps_the_old_file_and_is_tried_again(
    world: tuple[Env, ImageLister, Artwork, Path],
) -> None:
    env, lister, art, jpg = world
    lister.items[FEED] = [1]
    lister.image = "https://i.example.org/a.jpg"
    art.images = {lister.image: JPEG_A}
    env.poller.poll(env.row("radio"))
    lister.image = "https://i.example.org/gone.jpg"  # answers 404: fetch gives None
    assert env.poller.poll(env.row("radio")).status == "unchanged"  # the tracks did not change
    assert jpg.read_bytes() == JPEG_A
    art.images[lister.image] = JPEG_B  # it answers again: the next (unchanged) poll gets it
    assert env.poller.poll(env.row("radio")).status == "unchanged"
    assert jpg.read_bytes() == JPEG_B and art.fetched[lister.image] == 2
    env.poller.poll(env.row("radio"))  # and then no more artwork requests
    assert art.fetched[lister.image] == 2


def test_renamed_or_removed_playlist_takes_its_artwork_along(tmp_path: Path) -> None:
    changes: list[int] = []
    writer = PlaylistWriter(tmp_path, lambda: changes.append(1))
    assert writer.write_artwork("mix", JPEG_A) and not writer.write_artwork("mix", JPEG_A)
    assert changes == [1]
    writer.write("mix", [])
    assert writer.remove("mix")
    assert not (tmp_path / "Playlists" / "mix.jpg").exists()
    assert not (tmp_path / "Playlists" / "mix.m3u8").exists()
