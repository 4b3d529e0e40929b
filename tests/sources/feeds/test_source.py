"""Feeds read over HTTP from loopback: every real feed in ../shared/realworld/podcasts, served with
its enclosures rewritten to loopback audio, gives one track per episode named and tagged as its
XML says, with the same keys as the feed as published (the files moved host: nothing is new);
polls are conditional (ETag, Last-Modified); what is no feed is left to yt-dlp."""

from __future__ import annotations

import hashlib
import json
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from spotsyncd.core.errors import NetworkDownError, PermanentError, TransientError
from spotsyncd.core.models import Listing
from spotsyncd.sources.feeds.listing import listing_of
from spotsyncd.sources.feeds.parse import parse_feed
from spotsyncd.sources.feeds.source import DROPPED_FEED_EPISODES, FeedSource
from spotsyncd.system.http import HttpClient
from spotsyncd.system.netguard import AddressPolicy
from tests.fakes.audio import make_audio
from tests.fakes.http_server import LoopbackServer
from tests.sources.feeds.test_parse import FEEDS, SHARED, _child, _day, _local, _oracle, _plain

KEY = "url:https://feeds.example.org/show/feed.xml"
ORIGINAL = "https://feeds.example.org/show/feed.xml"
_ENCLOSURE_TAG = re.compile(rb"<(?:enclosure|link)\b[^>]*>", re.IGNORECASE)
_ADDRESS = re.compile(rb"""((?:url|href)\s*=\s*["'])https?://[^/"']+""", re.IGNORECASE)


@pytest.fixture
def podcasts() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared/realworld/podcasts is not present")
    return SHARED


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as running:
        yield running


def _source() -> FeedSource:
    return FeedSource(HttpClient(timeout_s=5, policy=AddressPolicy.from_setting(True)))


def _moved_to(server: LoopbackServer, data: bytes) -> bytes:
    """The feed with every absolute enclosure address on ``server`` instead (same paths)."""
    host = f"http://127.0.0.1:{server.port}".encode()

    def rewrite(tag: re.Match[bytes]) -> bytes:
        return _ADDRESS.sub(lambda m: m.group(1) + host, tag.group(0))

    return _ENCLOSURE_TAG.sub(rewrite, data)


def _author(data: bytes) -> str | None:
    """The channel's ``itunes:author`` (an Atom feed's ``author/name``), as a name."""
    root = ET.fromstring(data.lstrip())
    atom = _local(root.tag) == "feed"
    channel = root if atom else _child(root, "channel")
    assert channel is not None
    for element in channel:
        itunes = element.tag.lower().startswith("{http://www.itunes.com/dtds/podcast-1.0.dtd}")
        if not atom and itunes and _local(element.tag) == "author":
            text = _plain(element.text) or ""
            email_first = re.match(r"^\S+@\S+ \((.+)\)$", text)
            return email_first.group(1) if email_first else re.sub(r" \(\S+@\S+\)$", "", text)
        if atom and _local(element.tag) == "author":
            name = _child(element, "name")
            return _plain(name.text) if name is not None else None
    return None


@pytest.mark.parametrize("name", FEEDS)
def test_every_real_feed_served_from_loopback_gives_its_episodes(
    podcasts: Path, server: LoopbackServer, tmp_path: Path, name: str
) -> None:
    data = (podcasts / name).read_bytes()
    audio = make_audio(tmp_path / "episode.mp3", seconds=0.5).read_bytes()
    published = listing_of(parse_feed(data, ORIGINAL), KEY)
    served = _moved_to(server, data)
    feed_url = server.add("/show/feed.xml", served, "application/rss+xml")
    for item in published.items:  # every enclosure answers with real audio on loopback
        path = item.link.url.split("://", 1)[-1].partition("/")[2].split("?")[0]
        server.add("/" + path, audio, "audio/mpeg")

    listing = _source().episodes(feed_url, KEY, if_changed=True)

    assert listing is not None
    show, items = _oracle(data)
    assert listing.title == (show or "Untitled podcast")
    # The files moved to another host: every episode keeps its key.
    assert [i.link.key for i in listing.items] == [i.link.key for i in published.items]
    assert len({i.link.key for i in listing.items}) == len(listing.items)
    author = _author(data)
    by_title = {i["title"]: i for i in items if i["title"]}
    for listed in listing.items:
        meta = listed.meta
        assert meta.album == listing.title and meta.genre == "Podcast"
        assert meta.artists == (author or listing.title,) and meta.album_artist == meta.artists[0]
        assert listed.link.url.startswith(("http://127.0.0.1", "https://", "http://"))
        item = by_title.get(meta.title)
        if item is not None and item["date"]:
            assert meta.date == _day(str(item["date"]))
    if published.items and "podcastparser_relative" not in name:
        first = listing.items[0].link.url
        assert first.startswith(server.url("/")), first  # fetched from loopback now


def test_a_poll_is_one_conditional_request(server: LoopbackServer, podcasts: Path) -> None:
    data = (podcasts / "rssparser_narro.rss").read_bytes()
    etag = '"v1"'
    seen: list[dict[str, str]] = []

    def feed(req: BaseHTTPRequestHandler) -> None:
        seen.append(dict(req.headers))
        if req.headers.get("If-None-Match") == etag:
            req.send_response(304)
            req.end_headers()
            return
        req.send_response(200)
        req.send_header("ETag", etag)
        req.send_header("Last-Modified", "Wed, 05 Mar 2025 06:00:00 GMT")
        req.send_header("Content-Length", str(len(data)))
        req.end_headers()
        req.wfile.write(data)

    url = server.route("/feed", feed)
    source = _source()
    first = source.episodes(url, KEY, if_changed=True)
    again = source.episodes(url, KEY, if_changed=True)
    assert first is not None and again == first
    assert len(seen) == 2 and "If-None-Match" not in seen[0]
    assert seen[1]["If-None-Match"] == etag
    assert seen[1]["If-Modified-Since"] == "Wed, 05 Mar 2025 06:00:00 GMT"


def _conditional_feed(
    server: LoopbackServer, data: bytes, etag: str | None = '"v1"'
) -> tuple[str, list[dict[str, str]]]:
    """A feed answering 304 to its own ETag; the headers of every request it got."""
    seen: list[dict[str, str]] = []

    def feed(req: BaseHTTPRequestHandler) -> None:
        seen.append(dict(req.headers))
        if etag is not None and req.headers.get("If-None-Match") == etag:
            req.send_response(304)
            req.end_headers()
            return
        req.send_response(200)
        if etag is not None:
            req.send_header("ETag", etag)
        req.send_header("Content-Length", str(len(data)))
        req.end_headers()
        req.wfile.write(data)

    return server.route("/feed", feed), seen


def _cached(cache: Path) -> FeedSource:
    return FeedSource(
        HttpClient(timeout_s=5, policy=AddressPolicy.from_setting(True)), cache_dir=cache
    )


def _polled_once(
    server: LoopbackServer, podcasts: Path, tmp_path: Path
) -> tuple[str, list[dict[str, str]], Listing | None, Path]:
    """A feed with an ETag polled once with a cache: its address, the requests it got, the
    episodes, and the file stored for the next start."""
    url, seen = _conditional_feed(server, (podcasts / "rssparser_narro.rss").read_bytes())
    first = _cached(tmp_path / "feeds").episodes(url, KEY, if_changed=True)
    [stored] = (tmp_path / "feeds").iterdir()
    return url, seen, first, stored


def test_after_a_restart_the_first_poll_is_conditional_too(
    server: LoopbackServer, podcasts: Path, tmp_path: Path
) -> None:
    data = (podcasts / "rssparser_narro.rss").read_bytes()
    url, seen = _conditional_feed(server, data)
    before = _cached(tmp_path / "feeds").episodes(url, KEY, if_changed=True)

    after = _cached(tmp_path / "feeds").episodes(url, KEY, if_changed=True)  # a new process

    assert before is not None and after == before
    assert "If-None-Match" not in seen[0] and seen[1]["If-None-Match"] == '"v1"'
    [stored] = (tmp_path / "feeds").iterdir()
    assert stored.read_bytes().endswith(data)


def test_a_damaged_or_cut_short_stored_feed_is_read_whole_again(
    server: LoopbackServer, podcasts: Path, tmp_path: Path
) -> None:
    url, seen, first, stored = _polled_once(server, podcasts, tmp_path)
    stored.write_bytes(b"\x00 not json\n<rss")  # damaged: no validators sent
    assert _cached(tmp_path / "feeds").episodes(url, KEY, if_changed=True) == first
    assert "If-None-Match" not in seen[1]
    whole = stored.read_bytes()  # stored again
    stored.write_bytes(whole[: len(whole) // 2])  # cut short (a full disk): not its digest
    assert _cached(tmp_path / "feeds").episodes(url, KEY, if_changed=True) == first
    assert "If-None-Match" not in seen[2] and len(seen) == 3
    assert stored.read_bytes() == whole


def test_a_stored_feed_that_no_longer_parses_is_read_whole_after_the_304(
    server: LoopbackServer, podcasts: Path, tmp_path: Path
) -> None:
    """Intact on disk but not a feed to this parser (a file from another release, say)."""
    url, seen, first, stored = _polled_once(server, podcasts, tmp_path)
    meta = json.loads(stored.read_bytes().partition(b"\n")[0])
    meta["sha256"] = hashlib.sha256(b"garbage").hexdigest()
    stored.write_bytes(json.dumps(meta).encode() + b"\ngarbage")

    assert _cached(tmp_path / "feeds").episodes(url, KEY, if_changed=True) == first
    assert seen[1]["If-None-Match"] == '"v1"' and "If-None-Match" not in seen[2]  # 304, whole
    assert len(seen) == 3


def test_a_feed_stored_under_another_address_is_not_used(
    server: LoopbackServer, podcasts: Path, tmp_path: Path
) -> None:
    url, seen, _, stored = _polled_once(server, podcasts, tmp_path)
    stored.write_bytes(stored.read_bytes().replace(b'"url": "http://', b'"url": "https://', 1))
    _cached(tmp_path / "feeds").episodes(url, KEY, if_changed=True)
    assert "If-None-Match" not in seen[1]


def test_a_feed_without_validators_is_not_stored_and_old_ones_go(
    server: LoopbackServer, podcasts: Path, tmp_path: Path
) -> None:
    data = (podcasts / "rssparser_narro.rss").read_bytes()
    cache = tmp_path / "feeds"
    cache.mkdir()
    stale = cache / ("0" * 64 + ".feed")
    stale.write_bytes(b'{"url": "http://gone.example/feed"}\n<rss/>')
    os.utime(stale, (0, 0))  # no poll used it for months: unfollowed
    url, _ = _conditional_feed(server, data, etag=None)
    assert _cached(cache).episodes(url, KEY, if_changed=True) is not None
    assert list(cache.iterdir()) == [stale]  # nothing to send back next time: nothing stored
    other, _ = _conditional_feed(server, data)  # this one has an ETag: stored, and pruned
    _cached(cache).episodes(other.replace("/feed", "/feed?"), KEY, if_changed=True)
    assert len(list(cache.iterdir())) == 1 and not stale.exists()


def test_a_dropped_feed_gives_its_newest_episodes(server: LoopbackServer, podcasts: Path) -> None:
    url = server.add("/feed", (podcasts / "rssparser_taverncast_dupguid.rss").read_bytes())
    listing = _source().episodes(url, KEY)
    assert listing is not None and len(listing.items) == DROPPED_FEED_EPISODES
    assert any("since: all" in note for note in listing.notes)
    followed = _source().episodes(url, KEY, if_changed=True)
    assert followed is not None and len(followed.items) > 100


@pytest.mark.parametrize(
    ("body", "kind"),
    [(b"<!doctype html><html><body>a video page</body></html>", "text/html"),
     (b"ID3\x03\x00\x00\x00", "audio/mpeg"), (b'{"chapters": []}', "application/json")],
)  # fmt: skip
def test_what_is_no_feed_is_left_to_yt_dlp_and_not_asked_again(
    server: LoopbackServer, body: bytes, kind: str
) -> None:
    url = server.add("/page", body, kind)
    source = _source()
    assert source.episodes(url, KEY, if_changed=True) is None
    assert source.episodes(url, KEY, if_changed=True) is None
    assert server.hits["/page"] == 1


def test_a_known_feed_that_fails_fails_the_poll(server: LoopbackServer, podcasts: Path) -> None:
    url = server.add("/feed", (podcasts / "rssparser_narro.rss").read_bytes())
    source = _source()
    assert source.episodes(url, KEY, if_changed=True) is not None
    server.remove("/feed")
    with pytest.raises(PermanentError, match="404"):
        source.episodes(url, KEY, if_changed=True)
    server.go_offline()
    with pytest.raises(NetworkDownError):
        source.episodes(url, KEY, if_changed=True)


def test_a_known_feed_that_answers_no_feed_fails_the_poll_for_now(
    server: LoopbackServer, podcasts: Path
) -> None:
    url = server.add("/feed", (podcasts / "rssparser_narro.rss").read_bytes())
    source = _source()
    assert source.episodes(url, KEY, if_changed=True) is not None
    server.add("/feed", b"<html><body>Checking your browser</body></html>", "text/html")
    with pytest.raises(TransientError, match="no feed"):
        source.episodes(url, KEY, if_changed=True)


def test_an_address_that_was_no_feed_is_asked_again_a_day_later(
    server: LoopbackServer, podcasts: Path
) -> None:
    now = [1000.0]
    source = FeedSource(
        HttpClient(timeout_s=5, policy=AddressPolicy.from_setting(True)), clock=lambda: now[0]
    )
    url = server.add("/feed", b"<html>a login wall</html>", "text/html")
    assert source.episodes(url, KEY, if_changed=True) is None
    server.add("/feed", (podcasts / "rssparser_narro.rss").read_bytes())
    now[0] += 3600
    assert source.episodes(url, KEY, if_changed=True) is None  # not asked: yt-dlp's for now
    now[0] += 24 * 3600
    assert source.episodes(url, KEY, if_changed=True) is not None
    assert server.hits["/feed"] == 2


def test_an_unknown_address_that_fails_is_left_to_yt_dlp(server: LoopbackServer) -> None:
    assert _source().episodes(server.url("/missing"), KEY) is None


def test_internal_addresses_follow_the_policy(server: LoopbackServer, podcasts: Path) -> None:
    url = server.add("/feed", (podcasts / "rssparser_narro.rss").read_bytes())
    refusing = FeedSource(HttpClient(timeout_s=5, policy=AddressPolicy.from_setting(False)))
    assert refusing.episodes(url, KEY, if_changed=True) is None
    assert server.hits["/feed"] == 0


def test_chapters_files(server: LoopbackServer, podcasts: Path) -> None:
    url = server.add("/ch.json", (podcasts / "podcastindex_chapters_example.json").read_bytes())
    chapters = _source().chapters(url)
    assert chapters and all(isinstance(s, float) and t for s, t in chapters)
    assert _source().chapters(server.url("/none.json")) == ()
