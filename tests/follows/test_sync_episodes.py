"""A followed feed read as a podcast, with a real ledger: a new follow's newest 10, ``since``,
``keep_last`` removing only the files nothing else wants and spotsyncd made, a moved enclosure
fetched from its new address, and a follow polled through yt-dlp by an earlier version not
fetched again."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from spotsyncd.core.models import JobState, Link, LinkKind, ListedItem, Listing, Source
from spotsyncd.follows.playlists import PlaylistWriter
from spotsyncd.follows.sync import FollowPoller
from spotsyncd.ledger import Ledger
from spotsyncd.ledger.follows.registry import FollowRow
from spotsyncd.ledger.schema import events
from spotsyncd.sources.feeds.listing import listing_of
from spotsyncd.sources.feeds.parse import parse_feed
from tests.follows.test_sync import FakeLister, episode

FEED = "https://feeds.example.org/show.rss"
KEY = f"url:{FEED}"
RSS = """<?xml version="1.0"?><rss version="2.0"
 xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel><title>Tales</title>
<itunes:author>Ada</itunes:author>{items}</channel></rss>"""
ITEM = """<item><title>Episode {n}</title><guid>g-{n}</guid>
<pubDate>{n:02d} Mar 2025 06:00:00 GMT</pubDate>
<enclosure url="{host}/ep{n}.mp3" type="audio/mpeg"/></item>"""


class FakeFeeds:
    """The FeedReader over an in-memory feed document, counting requests."""

    def __init__(self) -> None:
        self.numbers: list[int] = []
        self.host = "https://cdn-a.example"
        self.calls: Counter[str] = Counter()

    def episodes(self, url: str, key: str, *, if_changed: bool = False) -> Listing | None:
        self.calls[url] += 1
        if url != FEED:
            return None
        items = "".join(ITEM.format(n=n, host=self.host) for n in sorted(self.numbers))
        return listing_of(parse_feed(RSS.format(items=items).encode(), url), key)

    def chapters(self, url: str) -> tuple[tuple[float, str], ...]:
        return ()


class World:
    def __init__(self, tmp_path: Path) -> None:
        self.library = tmp_path / "library"
        self.library.mkdir()
        self.ledger = Ledger(tmp_path / "ledger.sqlite3")
        self.feeds = FakeFeeds()
        self.lister = FakeLister()
        self.poller = FollowPoller(
            self.ledger, spotify=None, lister=self.lister, wake=lambda: None,
            library_dir=self.library, playlists=PlaylistWriter(self.library),
            feeds=self.feeds, owner_of=self.owner_of,
        )  # fmt: skip

    @staticmethod
    def owner_of(path: Path) -> str | None:
        data = path.read_bytes()
        return data.rsplit(b"|", 1)[-1].decode() if b"|" in data else None

    def follow(self, name: str, url: str = FEED, **options: object) -> FollowRow:
        link = Link(f"url:{url}", url, Source.GENERIC, LinkKind.UNKNOWN)
        return self.ledger.add_follow(link, name=name, interval_s=3600, options=dict(options),
                                      origin="cli")  # fmt: skip

    def poll(self, name: str) -> None:
        row = self.ledger.follow(name)
        assert row is not None
        outcome = self.poller.poll(row, force=True)
        assert outcome.status != "error", outcome.error

    def finish_all(self) -> list[str]:
        """Download every pending episode into a file tagged with its key."""
        urls = []
        while (job := self.ledger.claim_next_job("test")) is not None:
            urls.append(job.track.url)
            rel = f"Podcasts/Tales/{job.track.title}.mp3"
            (self.library / rel).parent.mkdir(parents=True, exist_ok=True)
            (self.library / rel).write_bytes(b"ID3|" + job.track.key.encode())
            self.ledger.finish_job(job.job_id, job.track.id, path=rel, size_bytes=9,
                                   duration_s=60.0, meta=job.track.meta, info=None,
                                   audio_settings="mp3", loudness_lufs=None, download_s=0,
                                   process_s=0, message="ok")  # fmt: skip
        return urls

    def files(self) -> list[str]:
        return sorted(p.name for p in self.library.rglob("*.mp3"))


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    made = World(tmp_path)
    yield made
    made.ledger.close()


def test_a_new_follow_fetches_the_newest_ten_then_every_new_one(world: World) -> None:
    world.feeds.numbers = list(range(1, 13))
    world.follow("tales")
    world.poll("tales")
    assert len(world.finish_all()) == 10
    with world.ledger.engine.connect() as conn:  # what notifications say: names, not keys
        said = conn.execute(select(events.c.message).where(events.c.kind == "new_tracks"))
        assert list(said.scalars()) == [
            "12 new: Episode 12, Episode 11, Episode 10, Episode 9, Episode 8, …"
        ]
    assert "Episode 1.mp3" not in world.files() and "Episode 12.mp3" in world.files()
    held = world.ledger.track(world.ledger.follow_tracks(world.ledger.follow("tales").id)[-1].key)  # type: ignore[union-attr]
    assert held is not None and held.state == JobState.SKIPPED and "since" in (held.error or "")
    assert world.ledger.follow("tales").kind == "podcast"  # type: ignore[union-attr]
    world.feeds.numbers.append(13)
    world.poll("tales")
    assert world.finish_all() == ["https://cdn-a.example/ep13.mp3"]
    assert world.lister.calls == Counter()  # yt-dlp never asked


def test_since_a_date(world: World) -> None:
    world.feeds.numbers = list(range(1, 6))
    world.follow("tales", since="2025-03-04")
    world.poll("tales")
    assert sorted(world.finish_all()) == [f"https://cdn-a.example/ep{n}.mp3" for n in (4, 5)]


def test_keep_last_removes_only_what_spotsyncd_made_and_nothing_else_wants(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    world.feeds.numbers = [1, 2, 3]
    world.follow("tales", keep_last=3)
    world.poll("tales")
    world.finish_all()
    assert world.files() == ["Episode 1.mp3", "Episode 2.mp3", "Episode 3.mp3"]
    # Episode 1's file was replaced by hand; episode 2 was also dropped as a link.
    (world.library / "Podcasts/Tales/Episode 1.mp3").write_bytes(b"ID3 the user's own")
    two = world.ledger.follow_tracks(world.ledger.follow("tales").id)[1]  # type: ignore[union-attr]
    dropped = Link(two.key, "https://cdn-a.example/ep2.mp3", Source.GENERIC, LinkKind.TRACK)
    world.ledger.add_inbox_lines(world.ledger.start_inbox_file("links.txt"),
                                 [(1, "ep2", dropped, None)])  # fmt: skip
    world.feeds.numbers = [1, 2, 3, 4, 5]
    world.follow("tales", keep_last=2)  # the config changed
    caplog.set_level(logging.INFO)
    world.poll("tales")
    world.finish_all()
    assert world.files() == ["Episode 1.mp3", "Episode 2.mp3", "Episode 4.mp3", "Episode 5.mp3"]
    assert "keeping Podcasts/Tales/Episode 1.mp3: not a file spotsyncd made" in caplog.text
    three = world.ledger.track(world.ledger.follow_tracks(world.ledger.follow("tales").id)[2].key)  # type: ignore[union-attr]
    assert three is not None and three.title == "Episode 3" and three.path is None
    assert three.state == JobState.DONE  # known, filed once: not fetched again


def test_keep_last_keeps_what_another_follow_lists(world: World) -> None:
    world.feeds.numbers = [1, 2]
    world.follow("tales", keep_last=2)
    world.poll("tales")
    world.finish_all()
    first = world.ledger.follow_tracks(world.ledger.follow("tales").id)[-1]  # type: ignore[union-attr]
    mirror = world.follow("mirror", url="https://other.example/list")
    item = ListedItem(Link(first.key, "https://x.example/1.mp3", Source.GENERIC, LinkKind.TRACK))
    world.ledger.apply_listing(mirror.id, Listing("Mirror", (item,), "fp"), now=time.time())
    world.feeds.numbers = [1, 2, 3]
    world.poll("tales")
    world.finish_all()
    assert world.files() == ["Episode 1.mp3", "Episode 2.mp3", "Episode 3.mp3"]
    world.ledger.save_collection("Commute", [first.key], origin="import")  # an imported list
    world.ledger.apply_listing(mirror.id, Listing("Mirror", (), "fp2"), now=time.time())
    world.poll("tales")
    assert world.files() == ["Episode 1.mp3", "Episode 2.mp3", "Episode 3.mp3"]
    world.ledger.save_collection("Commute", [], origin="import")
    world.poll("tales")  # unchanged at the source; nothing else lists it: now it goes
    assert world.files() == ["Episode 2.mp3", "Episode 3.mp3"]


def test_a_moved_enclosure_is_fetched_from_its_new_address(world: World) -> None:
    world.feeds.numbers = [1]
    world.follow("tales")
    world.poll("tales")
    world.feeds.host = "https://dts.podtrac.com/redirect.mp3/cdn-b.example"
    world.poll("tales")
    assert world.finish_all() == ["https://dts.podtrac.com/redirect.mp3/cdn-b.example/ep1.mp3"]
    assert len(world.ledger.tracks()) == 1


def test_a_follow_polled_through_yt_dlp_before_fetches_nothing_again(world: World) -> None:
    world.lister.items[FEED] = [1, 2]  # an earlier version: yt-dlp's listing, url: keys
    poller_feeds, world.poller.feeds = world.poller.feeds, None
    world.follow("tales")
    world.poll("tales")
    world.finish_all()
    world.poller.feeds = poller_feeds
    world.feeds.numbers = [1, 2]
    world.poll("tales")
    assert world.finish_all() == []  # published before the last poll: fetched already
    assert len(world.ledger.tracks()) == 4  # the old two and the episodes, set aside
    assert episode(1).link.key in {t.key for t in world.ledger.tracks()}


def test_the_first_poll_names_the_show_not_the_made_up_follow_name(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """'spotsyncd follow URL' without --name: the follow's name is made from the URL until the
    feed names it; the first poll's line already says the show's title."""
    world.feeds.numbers = list(range(1, 13))
    world.follow("feeds.example.org-show.rss")
    caplog.set_level(logging.INFO, "spotsyncd.follows.sync")
    world.poll("feeds.example.org-show.rss")
    (line,) = [r.getMessage() for r in caplog.records if "not fetched" in r.getMessage()]
    assert line.startswith("Tales: 2 older episodes recorded, not fetched")
