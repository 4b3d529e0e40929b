"""Every real feed in ../shared/realworld/podcasts parses; each episode's title, show, date and
identity are checked against what the feed's own XML says, read independently here."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urljoin

import pytest

from spotsyncd.sources.feeds.parse import FeedError, parse_feed
from spotsyncd.sources.feeds.tracking import location_identity

FEED_URL = "https://feeds.example.org/show/feed.xml"
SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "realworld" / "podcasts"
FEEDS = sorted(p.name for p in SHARED.glob("*") if p.suffix in (".xml", ".rss"))
MEDIA = ("audio/", "video/")
MEDIA_SUFFIXES = (".mp3", ".m4a", ".ogg", ".opus", ".mp4")


def _is_media(kind: str | None, url: str | None) -> bool:
    """The documented rule: a media type, or no type and a media file name."""
    if kind:
        return kind.startswith(MEDIA)
    return bool(url) and (url or "").split("?")[0].lower().endswith(MEDIA_SUFFIXES)


@pytest.fixture
def podcasts() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared/realworld/podcasts is not present")
    return SHARED


def _plain(value: str | None) -> str | None:
    if value is None:
        return None
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", value)).split()) or None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(element: ET.Element, name: str) -> ET.Element | None:
    return next((c for c in element if _local(c.tag) == name), None)


def _oracle(data: bytes) -> tuple[str | None, list[dict[str, str | None]]]:
    """The show title and, per item with a media enclosure, what the XML says of it."""
    root = ET.fromstring(data.lstrip())
    atom = _local(root.tag) == "feed"
    channel = root if atom else _child(root, "channel")
    assert channel is not None
    title_element = _child(channel, "title")
    show = _plain(title_element.text if title_element is not None else None)
    items = []
    for item in channel:
        if _local(item.tag) not in ("item", "entry"):
            continue
        if atom:
            links = [c for c in item if _local(c.tag) == "link" and c.get("rel") == "enclosure"]
            media = [c.get("href") for c in links if _is_media(c.get("type"), c.get("href"))]
            guid = _child(item, "id")
            date = _child(item, "published")
        else:
            enclosures = [c for c in item if _local(c.tag) == "enclosure"]
            media = [c.get("url") for c in enclosures if _is_media(c.get("type"), c.get("url"))]
            guid = _child(item, "guid")
            date = _child(item, "pubDate")
        if not media:
            continue
        title = _child(item, "title")
        items.append(
            {
                "title": _plain(title.text if title is not None else None),
                "guid": (guid.text or "").strip() if guid is not None else None,
                "date": (date.text or "").strip() if date is not None else None,
                "media": media[0],
            }
        )
    return show, items


def _day(value: str) -> str:
    from datetime import UTC, datetime

    try:
        stamp = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        stamp = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return stamp.astimezone(UTC).strftime("%Y-%m-%d")


@pytest.mark.parametrize("name", FEEDS)
def test_real_feeds_match_what_their_xml_says(podcasts: Path, name: str) -> None:
    data = (podcasts / name).read_bytes()
    feed = parse_feed(data, FEED_URL)
    show, items = _oracle(data)
    assert feed.title == (show or "Untitled podcast")
    identities: list[str] = []
    for item in items:
        media = urljoin(FEED_URL, item["media"] or "")
        identity = item["guid"] or f"location:{location_identity(media)}"
        if identity in identities:
            continue  # a repeated GUID is one episode: the first
        identities.append(identity)
        episode = feed.episodes[len(identities) - 1]
        assert episode.identity == identity
        assert episode.media_url == media
        if item["title"]:
            assert episode.title == item["title"]
        if item["date"]:
            assert episode.published == _day(item["date"])
    assert len(feed.episodes) == len(identities)


def test_the_taverncast_feed_keeps_one_episode_per_guid(podcasts: Path) -> None:
    feed = parse_feed((podcasts / "rssparser_taverncast_dupguid.rss").read_bytes(), FEED_URL)
    assert len({e.identity for e in feed.episodes}) == len(feed.episodes)
    assert any("GUID" in why for _, why in feed.skipped)


def test_itunes_and_podcasting_2_tags(podcasts: Path) -> None:
    oxide = parse_feed(
        (podcasts / "feedrs_transistorfm_oxide-and-friends.xml").read_bytes(), FEED_URL
    )
    (episode,) = oxide.episodes
    assert (episode.number, episode.season, episode.episode_type) == (10, 5, "full")
    assert episode.duration_s == 4968.0
    meta = oxide.meta(episode)
    assert meta.album == "Oxide and Friends" and meta.artists == ("Oxide Computer Company",)
    assert meta.genre == "Podcast" and meta.track_number == 10 and meta.disc_number == 5
    assert meta.date == episode.published == "2025-03-21"
    index = parse_feed((podcasts / "podcastindex_example.xml").read_bytes(), FEED_URL)
    assert index.episodes[0].chapters_url == "https://example.com/ep3_chapters.json"
    assert index.author == "John Doe"  # not "John Doe (john@example.com)"


def test_relative_enclosures_resolve_against_the_feed(podcasts: Path) -> None:
    feed = parse_feed((podcasts / "podcastparser_relative.rss").read_bytes(), FEED_URL)
    assert feed.episodes[0].media_url == "https://feeds.example.org/show/example.mp3"


def test_items_without_media_are_skipped_with_a_reason(podcasts: Path) -> None:
    substack = parse_feed((podcasts / "feedrs_substack_heated.xml").read_bytes(), FEED_URL)
    assert substack.episodes == [] and substack.skipped[0][1] == "no audio or video enclosure"


def test_a_non_utf8_feed_keeps_its_accents(podcasts: Path) -> None:
    news = parse_feed((podcasts / "feedrs_iso8859-1_news.xml").read_bytes(), FEED_URL)
    assert news.title == "RSS Feed do Site Inovação Tecnológica"


@pytest.mark.parametrize("data", [b"", b"<html><body>hello</body></html>", b"\x00\x01\x02"])
def test_what_is_no_feed_is_refused(data: bytes) -> None:
    with pytest.raises(FeedError):
        parse_feed(data, FEED_URL)
