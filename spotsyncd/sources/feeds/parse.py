"""A feed document as a show and its episodes, with what a listener's library needs.

feedparser does the tolerant reading (RSS 0.9x-2.0, Atom, CDATA and HTML in titles, encodings
declared in the XML, malformed dates); this module picks what matters and settles the rules:
- an episode is an item with an audio or video enclosure (an image enclosure is not one);
- its identity is its GUID, else its enclosure's address without tracking prefixes, query or host
  (:mod:`.tracking`), so a feed that moves its files or adds a redirect downloads nothing twice;
  items repeating an identity are one episode (the first, newest-first as feeds list them);
- the artist is the show's iTunes author, else the channel's author, else its title.
"""

from __future__ import annotations

import calendar
import html
import re
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import feedparser

from spotsyncd.core.models import TrackMeta
from spotsyncd.sources.feeds.chapters import Chapter, psc_chapters
from spotsyncd.sources.feeds.tracking import location_identity, strip_tracking

MEDIA_TYPES = ("audio/", "video/")
MEDIA_SUFFIXES = (".mp3", ".m4a", ".aac", ".ogg", ".oga", ".opus", ".flac", ".wav", ".mp4", ".m4v")
_TAGS = re.compile(r"<[^>]+>")
_BLOCK_TAGS = re.compile(
    r"</?(?:p|div|br|li|ul|ol|h[1-6]|tr|td|th|table|blockquote|pre|hr|section)\b[^>]*>",
    re.IGNORECASE,
)
MAX_DESCRIPTION_CHARS = 4000


@dataclass(frozen=True)
class Episode:
    """One episode as its feed describes it."""

    identity: str  # the GUID, or ``location:`` + the enclosure's path (see tracking.py)
    title: str
    media_url: str
    media_type: str | None = None
    published: str | None = None  # YYYY-MM-DD
    published_ts: float | None = None  # seconds since the epoch, for ordering and ``since``
    number: int | None = None  # itunes:episode / podcast:episode
    season: int | None = None  # itunes:season / podcast:season
    description: str | None = None
    image_url: str | None = None
    duration_s: float | None = None
    chapters_url: str | None = None  # Podcasting 2.0 JSON chapters, fetched when filing
    chapters: tuple[Chapter, ...] = ()  # Podlove Simple Chapters given in the feed itself
    episode_type: str | None = None  # full, trailer, bonus


@dataclass(frozen=True)
class Feed:
    """A show and its episodes, newest first as the feed lists them."""

    title: str
    author: str | None
    image_url: str | None
    episodes: list[Episode] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (item title, why)
    new_url: str | None = None  # itunes:new-feed-url: the show moved

    def meta(self, episode: Episode) -> TrackMeta:
        """The tags of ``episode``: title, show as album, author as artist, date, numbers, the
        description as a comment, chapters given in the feed and where its chapters file is."""
        artist = self.author or self.title
        return TrackMeta(
            title=episode.title,
            artists=(artist,),
            album=self.title,
            album_artist=artist,
            track_number=episode.number,
            disc_number=episode.season,
            date=episode.published,
            genre="Podcast",
            duration_s=episode.duration_s,
            source_url=episode.media_url,
            cover_url=episode.image_url or self.image_url,
            comment=episode.description,
            chapters=tuple((c.start_s, c.title) for c in episode.chapters),
            chapters_url=episode.chapters_url,
        )


class FeedError(ValueError):
    """The document is not a feed at all."""


def text(value: object) -> str | None:
    """A title or name as plain text: entities decoded, tags and extra spaces gone (a block
    tag such as ``<p>`` or ``<br>`` parts words; an inline one such as ``<b>`` does not)."""
    if not isinstance(value, str):
        return None
    cleaned = " ".join(html.unescape(_TAGS.sub("", _BLOCK_TAGS.sub(" ", value))).split())
    return cleaned or None


def _number(value: object) -> int | None:
    if isinstance(value, dict):
        value = value.get("value") or value.get("number")
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if 0 <= number < 1_000_000 else None


def _first_number(entry: Any, *keys: str) -> int | None:
    return next((n for key in keys if (n := _number(entry.get(key))) is not None), None)


def _duration(value: object) -> float | None:
    """``itunes:duration``: seconds, ``MM:SS`` or ``HH:MM:SS``."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        seconds = 0.0
        for part in value.strip().split(":"):
            seconds = seconds * 60 + float(part)
    except ValueError:
        return None
    return seconds if 0 < seconds < 100 * 3600 else None


_EMAIL_SUFFIX = re.compile(r"\s*\([^()]*@[^()]*\)\s*$")  # Name (info@…)
_EMAIL_FIRST = re.compile(r"^\S+@\S+\s+\((.+)\)$")  # info@… (Name)
_ITUNES_AUTHOR = re.compile(rb"<itunes:author\b[^>]*>(.*?)</itunes:author\s*>", re.I | re.S)
_FIRST_ITEM = re.compile(rb"<(?:item|entry)\b", re.I)
_CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.S)


def _name(value: str | None) -> str | None:
    """A person as a name: ``Name (info@…)`` and ``info@… (Name)`` give ``Name``."""
    name = text(value)
    if not name:
        return None
    first = _EMAIL_FIRST.match(name)
    return (first.group(1) if first else _EMAIL_SUFFIX.sub("", name)).strip() or None


def _person(channel: Any, version: str, document: bytes, encoding: str | None) -> str | None:
    """The show's author: its ``itunes:author``, read from the channel itself (feedparser
    folds ``itunes:author``, ``googleplay:author`` and ``itunes:owner`` into one ``author``,
    the last one read winning); an Atom feed's own author; else None (the title stands in)."""
    head = document[: match.start()] if (match := _FIRST_ITEM.search(document)) else document
    found = _ITUNES_AUTHOR.search(head)
    if found:
        try:
            raw = found.group(1).decode(encoding or "utf-8", "replace")
        except LookupError:
            raw = found.group(1).decode("utf-8", "replace")
        return _name(_CDATA.sub(lambda m: m.group(1), raw))
    detail = channel.get("author_detail") if version.startswith("atom") else None
    return _name(detail.get("name")) if isinstance(detail, dict) else None


def _date(entry: Any) -> tuple[str | None, float | None]:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    if not parsed:
        return None, None
    try:
        stamp = float(calendar.timegm(parsed))
    except (OverflowError, ValueError, TypeError):
        return None, None
    return time.strftime("%Y-%m-%d", time.gmtime(stamp)), stamp


def _media(entry: Any, base: str) -> tuple[str, str | None] | None:
    candidates: list[tuple[str, str | None]] = []
    for enclosure in entry.get("enclosures") or []:
        href = enclosure.get("href")
        if isinstance(href, str) and href.strip():
            candidates.append((urljoin(base, href.strip()), enclosure.get("type")))
    for url, kind in candidates:
        if isinstance(kind, str) and kind.lower().startswith(MEDIA_TYPES):
            return url, kind
    for url, kind in candidates:
        untyped = not kind or kind.lower() in ("application/octet-stream", "binary/octet-stream")
        if untyped and url.lower().split("?")[0].endswith(MEDIA_SUFFIXES):
            return url, kind
    return None


def _image(value: object, base: str) -> str | None:
    href = value.get("href") if isinstance(value, dict) else None
    return urljoin(base, href) if isinstance(href, str) and href.strip() else None


def _description(entry: Any) -> str | None:
    summary = entry.get("summary") or entry.get("subtitle")
    plain = text(summary)
    if plain and len(plain) > MAX_DESCRIPTION_CHARS:
        plain = plain[: MAX_DESCRIPTION_CHARS - 1] + "…"
    return plain


def parse_feed(document: bytes, feed_url: str) -> Feed:
    """Read ``document`` fetched from ``feed_url`` (relative addresses resolve against it)."""
    # No base address is given to feedparser: it would resolve a GUID against it as if it were a
    # link (a broken GUID such as '"http://…' became 'https://feed.host/"http:/…'), and a feed
    # that moves would change every identity. Addresses are resolved here, one by one.
    parsed = feedparser.parse(document, resolve_relative_uris=False, sanitize_html=False)
    channel = parsed.get("feed") or {}
    if not parsed.get("version") and not parsed.entries:
        why = parsed.get("bozo_exception") or "no channel and no items"
        raise FeedError(f"not an RSS or Atom feed ({why})")
    base = feed_url
    show = text(channel.get("title")) or "Untitled podcast"
    author = _person(channel, str(parsed.get("version") or ""), document, parsed.get("encoding"))
    image = _image(channel.get("image"), base)
    episodes: list[Episode] = []
    skipped: list[tuple[str, str]] = []
    seen: set[str] = set()
    for position, entry in enumerate(parsed.entries, start=1):
        title = text(entry.get("title"))
        media = _media(entry, base)
        if media is None:
            skipped.append((title or f"item {position}", "no audio or video enclosure"))
            continue
        url, kind = media
        guid = entry.get("id")
        identity = guid.strip() if isinstance(guid, str) and guid.strip() else None
        identity = identity or f"location:{location_identity(url)}"
        if identity in seen:
            skipped.append((title or f"item {position}", "repeats an earlier episode's GUID"))
            continue
        seen.add(identity)
        published, stamp = _date(entry)
        chapters = entry.get("podcast_chapters")
        episodes.append(
            Episode(
                identity=identity,
                title=title or _title_from(url) or f"Episode {position}",
                media_url=url,
                media_type=kind,
                published=published,
                published_ts=stamp,
                number=_first_number(entry, "itunes_episode", "podcast_episode"),
                season=_first_number(entry, "itunes_season", "podcast_season"),
                description=_description(entry),
                image_url=_image(entry.get("image"), base),
                duration_s=_duration(entry.get("itunes_duration")),
                chapters_url=(
                    urljoin(base, chapters["url"])
                    if isinstance(chapters, dict) and isinstance(chapters.get("url"), str)
                    else None
                ),
                chapters=tuple(psc_chapters(entry.get("psc_chapters"))),
                episode_type=text(entry.get("itunes_episodetype")),
            )
        )
    new_url = channel.get("itunes_new-feed-url")
    return Feed(
        title=show,
        author=author,
        image_url=image,
        episodes=episodes,
        skipped=skipped,
        new_url=new_url.strip() if isinstance(new_url, str) and new_url.strip() else None,
    )


def _title_from(url: str) -> str | None:
    name = strip_tracking(url).split("?")[0].rstrip("/").rsplit("/", 1)[-1]
    stem = name.rsplit(".", 1)[0]
    return stem or None
