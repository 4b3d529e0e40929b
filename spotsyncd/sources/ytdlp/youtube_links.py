"""Which YouTube link is this? Answered by yt-dlp's own YouTube extractors.

spotsyncd's keys (``youtube:VIDEO_ID``, ``youtube:playlist:ID``, ``youtube:channel:…``,
``youtube:album:MPREb_…``, ``youtube:artist:UC…``) are built from what the extractor that yt-dlp
would pick for a URL extracts from it (its ``suitable()``, ``_match_id`` and ``_URL_RE``), not
from a second hand-written copy of its patterns, so a key and yt-dlp's id agree by construction
and every host yt-dlp knows (youtubekids.com, Invidious and Piped mirrors, …) is recognised.

Cost: ``yt_dlp`` is imported on the first call, not when this module is imported
(``spotsyncd --help`` never pays for it). Whether a host is a YouTube host at all is asked of the
extractors once per host and cached, so a URL of any other site costs one dict look-up, and the
links of one inbox file share the answers.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from spotsyncd.core.errors import LinkError
from spotsyncd.core.models import Link, LinkKind, Source

__all__ = ["is_youtube_host", "warm_up", "youtube_link"]

_PROBE_ID = "dQw4w9WgXcQ"
# The shapes of path each extractor's pattern puts after a host; a host is a YouTube host when
# any extractor accepts one of them on it (yt-dlp's host lists, not ours, decide).
_HOST_PROBES = (
    f"/watch?v={_PROBE_ID}",
    f"/{_PROBE_ID}",
    f"/watch/{_PROBE_ID}",
    "/channel/UC" + "A" * 22,
    "/m?continue=x",
    f"/media/action/yt/watch?videoId={_PROBE_ID}",
    f"/www.youtube.com/watch?v={_PROBE_ID}",
)
_VIDEO_ID_CHAR = re.compile(r"[0-9A-Za-z_-]")
_ID_CHARS = re.compile(r"[A-Za-z0-9_-]{2,64}")
_CHANNEL_ID = re.compile(r"UC[A-Za-z0-9_-]{22}")
_NAME = re.compile(r"@?[\w.-]{1,100}")
_WWW = "https://www.youtube.com"
_MUSIC = "https://music.youtube.com"

# Lists and pages that only exist for a logged-in user; spotsyncd does not log in to YouTube.
_LOGIN_LISTS = {"WL": "Watch later", "LL": "Liked videos", "LM": "Liked music", "RDMM": "My Mix"}
_LOGIN_FEEDS = {
    "history", "subscriptions", "library", "watch_later", "playlists", "channels", "you",
    "downloads", "purchases", "clips", "recommended", "notifications", "courses",
}  # fmt: skip
_LOGIN_BROWSE = ("FEmusic_liked", "FEmusic_library", "FEmusic_history", "FEmusic_listening")
_SAME_AS_CHANNEL = {"", "videos", "featured", "home"}
_REFUSED_TABS = {
    "about": "is the channel's about page, which has no videos",
    "posts": "holds the channel's posts, not videos",
    "community": "holds the channel's posts, not videos",
    "channels": "lists other channels, not videos",
    "search": "is a search inside the channel, not a fixed list",
    "live": "is whatever the channel streams right now; paste the video's own link",
    "store": "is the channel's shop",
    "membership": "needs a channel membership",
}
_LOGIN_HINT = "spotsyncd does not log in to YouTube; paste a public playlist, channel or video"


@dataclass(frozen=True)
class _Extractors:
    """yt-dlp's YouTube extractor classes, in the order yt-dlp itself tries them."""

    ordered: Sequence[Any]
    video: Any  # YoutubeIE
    tab: Any  # YoutubeTabIE
    is_music_url: Any  # YoutubeBaseInfoExtractor.is_music_url


@functools.cache
def _extractors() -> _Extractors:
    from yt_dlp.extractor.youtube import (
        YoutubeBaseInfoExtractor,
        YoutubeClipIE,
        YoutubeConsentRedirectIE,
        YoutubeIE,
        YoutubeLivestreamEmbedIE,
        YoutubeMusicSearchURLIE,
        YoutubePlaylistIE,
        YoutubeRecommendedIE,
        YoutubeSearchURLIE,
        YoutubeShortsAudioPivotIE,
        YoutubeTabIE,
        YoutubeTruncatedIDIE,
        YoutubeTruncatedURLIE,
        YoutubeYtBeIE,
    )

    ordered = (  # yt-dlp's own order (gen_extractor_classes), http(s) extractors only
        YoutubeClipIE,
        YoutubeConsentRedirectIE,
        YoutubeIE,
        YoutubeLivestreamEmbedIE,
        YoutubeMusicSearchURLIE,
        YoutubePlaylistIE,
        YoutubeRecommendedIE,
        YoutubeSearchURLIE,
        YoutubeShortsAudioPivotIE,
        YoutubeTabIE,
        YoutubeTruncatedIDIE,
        YoutubeTruncatedURLIE,
        YoutubeYtBeIE,
    )
    return _Extractors(ordered, YoutubeIE, YoutubeTabIE, YoutubeBaseInfoExtractor.is_music_url)


def warm_up() -> None:
    """Import yt-dlp's YouTube extractors now (a daemon does it in the background at start, so
    the first link of the first inbox file does not wait for it)."""
    is_youtube_host("www.youtube.com")


@functools.lru_cache(maxsize=4096)
def is_youtube_host(host: str) -> bool:
    """Whether any of yt-dlp's YouTube extractors accepts URLs on ``host`` (lower case)."""
    if not host or not re.fullmatch(r"[a-z0-9.-]+", host):
        return False
    ies = _extractors().ordered
    return any(ie.suitable(f"https://{host}{path}") for path in _HOST_PROBES for ie in ies)


def youtube_link(url: str) -> Link | None:
    """The Link for a YouTube or YouTube Music URL (or one of a mirror yt-dlp knows).

    Returns None when no YouTube extractor knows the URL's host (the caller treats it as any
    other site). Raises LinkError, saying why and what to paste instead, for YouTube URLs that
    are no fixed list of recordings or need a login (feed/history, Watch later, search pages).
    """
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().rstrip(".")
    if not is_youtube_host(host):
        return None
    return _recognise(url, parts.scheme.lower(), host, parts.port)


@functools.lru_cache(maxsize=1024)
def _recognise(url: str, scheme: str, host: str, port: int | None) -> Link:
    netloc = host if port in (None, 80, 443) else f"{host}:{port}"
    # Only scheme and host are normalised: the rest goes to the extractors as pasted (an empty
    # "?" or "#" can matter to them).
    rest = re.sub(r"^[^:]*://[^/?#]*", "", url)
    url = f"{scheme}://{netloc}{rest}"
    ies = _extractors()
    for ie in ies.ordered:
        if ie.suitable(url):
            return _link_for(ie.ie_key(), ie, url, ies)
    raise LinkError(
        "YouTube link not recognised (expected a video, playlist, channel, YouTube Music "
        f"album or artist link): {_short(url)}"
    )


def _link_for(name: str, ie: Any, url: str, ies: _Extractors) -> Link:
    if name in ("Youtube", "YoutubeYtBe"):
        match = ie._match_valid_url(url)
        # yt-dlp takes the first 11 id characters of a longer value; a longer value is a
        # mistyped link, not that video.
        if _VIDEO_ID_CHAR.match(url, match.end("id")):
            raise LinkError("not a valid YouTube video id (longer than 11 characters)" + _at(url))
        return _video(match.group("id"))
    if name == "YoutubeClip":
        clip = ie._match_id(url)
        return Link(f"youtube:clip:{clip}", f"{_WWW}/clip/{clip}", Source.YOUTUBE, LinkKind.TRACK)
    if name == "YoutubeConsentRedirect":
        return _consent(url)
    if name == "YoutubePlaylist":
        return _playlist_ie(ie._match_id(url), url, ies)
    if name == "YoutubeTab":
        return _tab(url, ies)
    raise LinkError(_REFUSED.get(name, "this YouTube page is not a video or a list") + _at(url))


_REFUSED = {
    "YoutubeLivestreamEmbed": "a live stream embed is whatever the channel streams right now; "
    "paste the video's own link",
    "YoutubeMusicSearchURL": "a search results page is not a fixed list; paste the link of "
    "the song, album or playlist you want",
    "YoutubeSearchURL": "a search results page is not a fixed list; paste the link of the "
    "video or playlist you want",
    "YoutubeRecommended": "the YouTube home page is not a list; paste a video, playlist or "
    "channel link",
    "YoutubeShortsAudioPivot": "this page lists the Shorts that use a sound; for the sound "
    "itself paste https://www.youtube.com/watch?v=ID",
    "YoutubeTruncatedID": "the video id in this link is cut short; copy the whole link again",
    "YoutubeTruncatedURL": "this link is cut short (no video id); copy the whole link again",
}


def _video(video_id: str) -> Link:
    return Link(
        key=f"youtube:{video_id}",
        url=f"{_WWW}/watch?v={video_id}",
        source=Source.YOUTUBE,
        kind=LinkKind.TRACK,
    )


def _video_in_query(url: str, ies: _Extractors) -> Link | None:
    """A URL naming a video and a list is the one video the user pasted (yt-dlp would take the
    list): the ``v=`` value, if it is a video id yt-dlp accepts."""
    values = parse_qs(urlsplit(url).query).get("v")
    if not values:
        return None
    candidate = f"{_WWW}/watch?v={values[0]}"
    if not ies.video.suitable(candidate):
        raise LinkError(f"not a valid YouTube video id {values[0]!r}" + _at(url))
    return _video(ies.video._match_id(candidate))


def _playlist(list_id: str, original: str) -> Link:
    if not _ID_CHARS.fullmatch(list_id):
        raise LinkError(f"not a valid YouTube playlist id {list_id!r}" + _at(original))
    if list_id in _LOGIN_LISTS:
        raise LinkError(f"'{_LOGIN_LISTS[list_id]}' needs your YouTube login; {_LOGIN_HINT}")
    return Link(
        key=f"youtube:playlist:{list_id}",
        url=f"{_WWW}/playlist?list={list_id}",
        source=Source.YOUTUBE,
        kind=LinkKind.COLLECTION,
    )


def _playlist_ie(list_id: str, url: str, ies: _Extractors) -> Link:
    """``embed/videoseries?list=``, ``embed/ID?list=`` and other ``…?list=`` pages."""
    video = _video_in_query(url, ies)
    if video is not None:
        return video
    segments = [s for s in urlsplit(url).path.split("/") if s]
    if len(segments) == 2 and segments[0] == "embed" and segments[1] != "videoseries":
        embedded = f"{_WWW}/watch?v={segments[1]}"
        if ies.video.suitable(embedded):  # an embedded video with a list: the video
            return _video(ies.video._match_id(embedded))
    return _playlist(list_id, url)


def _consent(url: str) -> Link:
    target = parse_qs(urlsplit(url).query).get("continue", [""])[0]
    inner = None
    if target.startswith(("https://", "http://")) and urlsplit(target).hostname != _host_of(url):
        inner = youtube_link(target)
    if inner is None:
        raise LinkError("a YouTube consent page that leads to no YouTube link" + _at(url))
    return inner


def _host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def _tab(url: str, ies: _Extractors) -> Link:
    match = ies.tab._URL_RE.match(url)
    groups = {k: (v or "") for k, v in match.groupdict().items()}
    kind, not_channel = groups["channel_type"], groups["not_channel"]
    ident, tab = unquote(groups["id"]), groups["tab"][1:]
    music = bool(ies.is_music_url(url))
    if not_channel.startswith(("playlist", "watch")):
        return _video_in_query(url, ies) or _playlist(ident, url)
    if not_channel.startswith("feed/"):
        return _feed(ident, url)
    if not_channel.startswith("hashtag/"):
        name = ident.lower()
        if not _NAME.fullmatch(name):
            raise LinkError(f"not a valid YouTube hashtag {ident!r}" + _at(url))
        return Link(f"youtube:hashtag:{name}", f"{_WWW}/hashtag/{quote(name)}", Source.YOUTUBE,
                    LinkKind.COLLECTION)  # fmt: skip
    if kind == "browse":
        return _browse(ident, tab, url, music)
    if kind == "channel":
        if not _CHANNEL_ID.fullmatch(ident):
            raise LinkError(f"not a valid YouTube channel id {ident!r}" + _at(url))
        if music and not tab:
            return _artist(ident)
        return _channel(ident, f"channel/{ident}", tab, url)
    if kind in ("c", "user"):
        name = ident.lower()  # custom names and user names are case-insensitive on YouTube
        if not _NAME.fullmatch(name) or name.startswith("@"):
            raise LinkError(f"not a valid YouTube channel name {ident!r}" + _at(url))
        return _channel(f"{kind}/{name}", f"{kind}/{quote(name)}", tab, url)
    name = ident.lower()  # @handle or a legacy youtube.com/NAME
    if not _NAME.fullmatch(name):
        raise LinkError(f"not a valid YouTube channel name {ident!r}" + _at(url))
    return _channel(name, quote(name, safe="@"), tab, url)


def _channel(ident: str, path: str, tab: str, original: str) -> Link:
    """A channel's uploads (no tab, ``/videos``, ``/featured``) or one of its other tabs."""
    tab = tab.lower()
    if tab in _REFUSED_TABS:
        raise LinkError(f"a channel's /{tab} page {_REFUSED_TABS[tab]}" + _at(original))
    if tab in _SAME_AS_CHANNEL:
        key, url = f"youtube:channel:{ident}", f"{_WWW}/{path}/videos"
    else:
        if not _NAME.fullmatch(tab):
            raise LinkError(f"not a YouTube channel tab {tab!r}" + _at(original))
        key, url = f"youtube:channel:{ident}/{tab}", f"{_WWW}/{path}/{tab}"
    return Link(key, url, Source.YOUTUBE, LinkKind.COLLECTION)


def _artist(channel_id: str) -> Link:
    return Link(
        key=f"youtube:artist:{channel_id}",
        url=f"{_MUSIC}/channel/{channel_id}",
        source=Source.YOUTUBE,
        kind=LinkKind.COLLECTION,
    )


def _browse(ident: str, tab: str, url: str, music: bool) -> Link:
    """``music.youtube.com/browse/…``: ``VL`` + playlist, ``MPREb_`` album, ``UC…`` artist."""
    if ident.startswith("VL") and not tab:
        return _playlist(ident[2:], url)
    if ident.startswith("MPREb_") and not tab:
        if not _ID_CHARS.fullmatch(ident):
            raise LinkError(f"not a valid YouTube Music album id {ident!r}" + _at(url))
        return Link(f"youtube:album:{ident}", f"{_MUSIC}/browse/{ident}", Source.YOUTUBE,
                    LinkKind.COLLECTION)  # fmt: skip
    if _CHANNEL_ID.fullmatch(ident):
        if music and not tab:
            return _artist(ident)
        return _channel(ident, f"channel/{ident}", tab, url)
    if ident.startswith(_LOGIN_BROWSE):
        raise LinkError(f"this YouTube Music page needs your login; {_LOGIN_HINT}" + _at(url))
    raise LinkError(
        "this YouTube Music page is not an album, playlist or artist; paste one of those" + _at(url)
    )


def _feed(name: str, url: str) -> Link:
    if name.lower() in _LOGIN_FEEDS:
        raise LinkError(f"YouTube's feed/{name} page needs your login; {_LOGIN_HINT}")
    if not _NAME.fullmatch(name):
        raise LinkError(f"not a YouTube feed {name!r}" + _at(url))
    selector = parse_qs(urlsplit(url).query).get("bp")
    query = f"?bp={quote(selector[0], safe='')}" if selector else ""
    return Link(f"youtube:feed:{name}{query}", f"{_WWW}/feed/{name}{query}", Source.YOUTUBE,
                LinkKind.COLLECTION)  # fmt: skip


def _at(url: str) -> str:
    return f": {_short(url)}"


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
