"""A feed as a listing: one track per episode, keyed by feed and identity (never by the
enclosure's host), newest first, tagged as the feed says."""

from __future__ import annotations

from spotsyncd.core.models import LinkKind, Source
from spotsyncd.sources.feeds.listing import episode_key, is_episode_key, listing_of
from spotsyncd.sources.feeds.parse import parse_feed

FEED = "https://feeds.example.org/show.xml"
KEY = f"url:{FEED}"
RSS = """<?xml version="1.0"?><rss version="2.0"
 xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel><title>Show</title>
<itunes:author>Host</itunes:author>
{items}</channel></rss>"""
ITEM = """<item><title>{title}</title>{guid}<pubDate>{date}</pubDate>
<enclosure url="{url}" type="audio/mpeg"/></item>"""


def _feed(*items: tuple[str, str, str, str]) -> bytes:
    body = "".join(
        ITEM.format(title=t, guid=f"<guid>{g}</guid>" if g else "", date=d, url=u)
        for t, g, d, u in items
    )
    return RSS.format(items=body).encode()


def test_keys_survive_a_move_of_host_and_a_tracking_redirect() -> None:
    before = _feed(
        ("One", "g-1", "Mon, 03 Mar 2025 06:00:00 GMT", "https://a.host/f/1.mp3"),
        ("Two", "", "Tue, 04 Mar 2025 06:00:00 GMT", "https://a.host/f/2.mp3"),
    )
    after = _feed(
        ("One", "g-1", "Mon, 03 Mar 2025 06:00:00 GMT", "https://cdn.b.net/f/1.mp3?x=1"),
        ("Two", "", "Tue, 04 Mar 2025 06:00:00 GMT",
         "https://dts.podtrac.com/redirect.mp3/chtbl.com/track/9/cdn.b.net/f/2.mp3"),
    )  # fmt: skip
    first = listing_of(parse_feed(before, FEED), KEY)
    second = listing_of(parse_feed(after, FEED), KEY)
    assert [i.link.key for i in first.items] == [i.link.key for i in second.items]
    assert first.fingerprint == second.fingerprint
    assert second.items[1].link.url == "https://cdn.b.net/f/1.mp3?x=1"  # fetched from the new host
    assert all(is_episode_key(i.link.key) for i in second.items)
    assert {(i.link.source, i.link.kind) for i in second.items} == {
        (Source.GENERIC, LinkKind.TRACK)
    }


def test_newest_first_with_the_feeds_tags() -> None:
    data = _feed(
        ("Old", "g-1", "Mon, 03 Mar 2025 06:00:00 GMT", "https://a.host/1.mp3"),
        ("New", "g-2", "Wed, 05 Mar 2025 06:00:00 GMT", "https://a.host/2.mp3"),
    )
    listing = listing_of(parse_feed(data, FEED), KEY)
    assert [i.meta.title for i in listing.items] == ["New", "Old"]
    meta = listing.items[0].meta
    assert (meta.album, meta.artists, meta.album_artist, meta.date, meta.genre) == (
        "Show", ("Host",), "Host", "2025-03-05", "Podcast")  # fmt: skip
    assert listing.title == "Show"


def test_the_same_guid_in_two_feeds_is_two_episodes() -> None:
    assert episode_key(KEY, "g-1") != episode_key("url:https://other.example/feed", "g-1")
    assert episode_key(KEY, "g-1") == episode_key(KEY, "g-1")


def test_a_limit_keeps_the_newest_and_says_so() -> None:
    items = [(f"E{n}", f"g-{n}", f"{n:02d} Mar 2025 06:00:00 GMT", f"https://a.host/{n}.mp3")
             for n in range(1, 13)]  # fmt: skip
    listing = listing_of(parse_feed(_feed(*items), FEED), KEY, limit=10)
    assert [i.meta.title for i in listing.items][:2] == ["E12", "E11"] and len(listing.items) == 10
    assert listing.notes == (
        "the newest 10 of 12 episodes; follow the feed with since: all for the rest",
    )
