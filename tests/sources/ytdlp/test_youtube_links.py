"""Every URL in yt-dlp's own YouTube test cases through spotsyncd's link parser.

The URLs come from the installed yt-dlp (the ``_TESTS`` of its YouTube extractor classes), so a
yt-dlp upgrade that adds a URL form is checked here at once. For each URL the key must agree
with the id yt-dlp's chosen extractor takes from it, or the URL must be one of the forms
spotsyncd refuses on purpose, with its reason. Nothing here goes to the network.
"""

from __future__ import annotations

import inspect
from collections import Counter
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from yt_dlp.extractor import gen_extractor_classes
from yt_dlp.extractor import youtube as yt

from spotsyncd.core.errors import LinkError
from spotsyncd.core.models import Link, LinkKind, Source
from spotsyncd.intake.links import parse_link
from spotsyncd.sources.ytdlp.youtube_links import is_youtube_host, youtube_link

# Refused on purpose: the extractor (yt-dlp's ie_key) or the page, and the reason shown.
REFUSED_IES = {
    "YoutubeTruncatedID": "cut short",
    "YoutubeTruncatedURL": "cut short",
    "YoutubeSearchURL": "search results page",
    "YoutubeMusicSearchURL": "search results page",
    "YoutubeLivestreamEmbed": "streams right now",
    "YoutubeRecommended": "home page",
    "YoutubeShortsAudioPivot": "Shorts that use a sound",
}
REFUSED_TABS = {
    "live": "streams right now",
    "about": "about page",
    "posts": "posts",
    "channels": "other channels",
    "search": "search inside the channel",
}
LOGIN_FEEDS = {"history", "subscriptions", "library", "watch_later", "recommended"}


def _test_urls() -> list[str]:
    urls: dict[str, None] = {}
    for _, cls in inspect.getmembers(yt, inspect.isclass):
        for case in cls.__dict__.get("_TESTS", ()):
            urls.setdefault(case["url"], None)
    return list(urls)


URLS = _test_urls()
YOUTUBE_IES = [ie for ie in gen_extractor_classes() if ie.ie_key().startswith("Youtube")]


def _chosen(url: str) -> type:
    """The extractor yt-dlp itself would pick (its own order over all its YouTube IEs)."""
    return next(ie for ie in YOUTUBE_IES if ie.suitable(url))


def _is_web_url(url: str) -> bool:
    return url.startswith(("http://", "https://", "//"))


def test_yt_dlp_has_youtube_test_urls() -> None:
    assert len(URLS) > 150  # a yt-dlp without its test cases would make this test empty


@pytest.mark.parametrize("url", URLS)
def test_every_yt_dlp_youtube_test_url(url: str) -> None:
    if not _is_web_url(url):
        # Bare ids, ``ytsearch:`` and ``:ytfav`` are yt-dlp command-line shortcuts, not links.
        with pytest.raises(LinkError, match="not a link|links are refused"):
            parse_link(url)
        return
    full = "https:" + url if url.startswith("//") else url
    ie = _chosen(full)
    name = ie.ie_key()
    if name in REFUSED_IES:
        with pytest.raises(LinkError, match=REFUSED_IES[name]):
            parse_link(url)
        return
    if name == "YoutubeTab":
        _check_tab(url, full, ie)
        return
    link = parse_link(url)
    assert link.source is Source.YOUTUBE
    if name == "YoutubeConsentRedirect":
        target = parse_qs(urlsplit(full).query)["continue"][0]
        assert link == parse_link(target)
    elif name == "YoutubeClip":
        assert link.key == f"youtube:clip:{ie._match_id(full)}"
    elif name == "YoutubePlaylist" and "videoseries" not in full:
        # an embedded video with a list: the video the user pasted (yt-dlp's id is the list's)
        video = urlsplit(full).path.split("/")[-1]
        assert link.key == f"youtube:{video}"
    elif name == "YoutubePlaylist":
        assert link.key == f"youtube:playlist:{ie._match_id(full)}"
    else:  # Youtube, YoutubeYtBe: the video id
        assert link == Link(f"youtube:{ie._match_id(full)}",
                            f"https://www.youtube.com/watch?v={ie._match_id(full)}",
                            Source.YOUTUBE, LinkKind.TRACK)  # fmt: skip
    assert parse_link(link.url) == link  # the canonical URL means the same thing


def _check_tab(url: str, full: str, ie: type) -> None:
    groups = {k: v or "" for k, v in ie._URL_RE.match(full).groupdict().items()}  # type: ignore[attr-defined]
    ident, tab = unquote(groups["id"]), groups["tab"].lstrip("/")
    video = parse_qs(urlsplit(full).query).get("v")
    if groups["not_channel"].startswith("feed/") and ident in LOGIN_FEEDS:
        with pytest.raises(LinkError, match="needs your login"):
            parse_link(url)
        return
    if tab in REFUSED_TABS:
        with pytest.raises(LinkError, match=REFUSED_TABS[tab]):
            parse_link(url)
        return
    link = parse_link(url)
    assert link.source is Source.YOUTUBE
    assert parse_link(link.url) == link
    if video:  # a video with a list: the video the user pasted
        assert link.key == f"youtube:{video[0]}"
        return
    assert link.kind is LinkKind.COLLECTION
    if ident.startswith("VL"):  # YouTube Music's browse/VL<playlist>: yt-dlp lists the playlist
        assert link.key == f"youtube:playlist:{ident[2:]}"
    elif groups["not_channel"].startswith(("playlist", "watch")):
        assert link.key == f"youtube:playlist:{ident}"
    else:
        assert ident.lower() in link.key.lower()
        assert link.key.startswith(("youtube:channel:", "youtube:artist:", "youtube:album:",
                                    "youtube:feed:", "youtube:hashtag:"))  # fmt: skip


def test_most_test_urls_get_a_key() -> None:
    outcomes: Counter[str] = Counter()
    for url in filter(_is_web_url, URLS):
        try:
            outcomes[parse_link(url).kind.value] += 1
        except LinkError:
            outcomes["refused"] += 1
    # yt-dlp 2026.10.26: 166 web URLs, 73 tracks, 58 collections; the 35 refused are the search,
    # login, cut-short, live and about pages above.
    assert outcomes["track"] >= 70 and outcomes["collection"] >= 55, outcomes
    assert outcomes["refused"] <= 35, outcomes


@pytest.mark.parametrize(
    "host",
    ["www.youtube.com", "music.youtube.com", "youtu.be", "www.youtubekids.com", "invidio.us",
     "redirect.invidious.io", "piped.video", "yewtu.be", "consent.youtube.com"],
)  # fmt: skip
def test_youtube_hosts_come_from_yt_dlp(host: str) -> None:
    assert is_youtube_host(host)


@pytest.mark.parametrize(
    "host", ["example.com", "soundcloud.com", "open.spotify.com", "127.0.0.1", "youtube.evil.org"]
)
def test_other_hosts_are_not_youtube(host: str) -> None:
    assert not is_youtube_host(host)
    assert youtube_link(f"https://{host}/watch?v=dQw4w9WgXcQ") is None
