"""Feeds read over the network, through the project's ``HttpClient`` (its address policy decides
which hosts a feed may name): the episodes of a followed or dropped feed, and chapter files.

A poll is one conditional request: the ``ETag`` and ``Last-Modified`` of the last answer go back
as ``If-None-Match`` / ``If-Modified-Since``, and a ``304 Not Modified`` reuses the feed read
then. They are kept in memory, per feed address, and with ``cache_dir`` (the daemon's
``state_dir/feeds``) on disk too, with the feed as it was read (``stored.py``): after a restart
the first poll is conditional as well, and an unchanged feed is one 304, not the whole feed.

Whether an address is a feed at all is decided by its content: an answer that is not RSS or Atom
returns None, and the caller hands the address to yt-dlp instead (a video site's playlist, a
set). Such addresses are remembered for a day, so a follow of one costs no second request per
poll. An address read as a feed before that answers with something else (an error page, a
broken document) fails the poll as a passing problem instead.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from spotsyncd.core.errors import (
    NetworkDownError,
    PermanentError,
    RateLimitedError,
    TransientError,
)
from spotsyncd.core.models import Listing
from spotsyncd.sources.feeds.chapters import parse_chapters_json
from spotsyncd.sources.feeds.listing import listing_of
from spotsyncd.sources.feeds.parse import Feed, FeedError, parse_feed
from spotsyncd.sources.feeds.stored import Stored, StoredFeeds
from spotsyncd.system.http import Blocked, ErrorStatus, HttpClient, HttpError, Unreachable, where

log = logging.getLogger(__name__)

MAX_FEED_BYTES = 16 * 1024 * 1024  # the largest real feeds (thousands of items) are a few MB
MAX_CHAPTERS_BYTES = 1024 * 1024
DROPPED_FEED_EPISODES = 10  # a feed link dropped once: its newest episodes, not the archive
NOT_FEED_MEMORY_S = 24 * 3600.0  # an address that was no feed is asked again after this
_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)
_NOT_FEED_TYPES = ("audio/", "video/", "image/", "application/json")
_FEED_MARKERS = (b"<rss", b"<feed", b"<rdf:rdf", b"<channel")


@dataclass(frozen=True)
class _Read:
    """The last full answer of a followed feed: parsed (read in this process), or its body as
    stored on disk (parsed when a 304 says it still holds)."""

    feed: Feed | None
    etag: str | None
    last_modified: str | None
    body: bytes | None = None


def looks_like_feed(body: bytes, content_type: str | None) -> bool:
    """RSS, RDF or Atom by its first kilobytes (any declared type: hosts serve feeds as
    ``text/html`` or ``application/octet-stream`` as often as ``application/rss+xml``)."""
    if content_type and content_type.lower().startswith(_NOT_FEED_TYPES):
        return False
    head = body[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return any(marker in head for marker in _FEED_MARKERS)


class FeedSource:
    """The ``FeedReader`` of the pipeline and of follows. Safe to share between threads."""

    def __init__(
        self,
        http: HttpClient,
        *,
        clock: Callable[[], float] = time.monotonic,
        cache_dir: Path | None = None,
    ) -> None:
        self.http = http
        self.clock = clock
        self.stored = StoredFeeds(cache_dir) if cache_dir is not None else None
        self._lock = threading.Lock()
        self._read: dict[str, _Read] = {}  # feed address → the last full answer
        self._not_feeds: dict[str, float] = {}  # address → until when it is left to yt-dlp

    def _remember_not_feed(self, url: str) -> None:
        with self._lock:
            self._not_feeds[url] = self.clock() + NOT_FEED_MEMORY_S

    def episodes(self, url: str, key: str, *, if_changed: bool = False) -> Listing | None:
        """The episodes of the feed at ``url`` keyed under ``key``, newest first; None when
        ``url`` is no feed. ``if_changed`` (a follow's poll): a conditional request, and all of
        the feed's episodes; otherwise (a dropped link) the newest ``DROPPED_FEED_EPISODES``."""
        feed = self.read(url, conditional=if_changed)
        if feed is None:
            return None
        return listing_of(feed, key, limit=None if if_changed else DROPPED_FEED_EPISODES)

    def read(self, url: str, *, conditional: bool = True) -> Feed | None:
        with self._lock:
            if self._not_feeds.get(url, 0.0) > self.clock():
                return None
            known = self._read.get(url)
        if known is None and conditional and self.stored is not None:
            found = self.stored.load(url)
            if found is not None:
                known = _Read(None, found.etag, found.last_modified, found.body)
        headers = {"Accept": _ACCEPT}
        if conditional and known is not None:
            if known.etag:
                headers["If-None-Match"] = known.etag
            if known.last_modified:
                headers["If-Modified-Since"] = known.last_modified
        try:
            answer = self.http.get(
                url, headers=headers, max_bytes=MAX_FEED_BYTES, skip_body_types=_NOT_FEED_TYPES
            )
        except HttpError as exc:
            if known is None:  # never read as a feed: perhaps yt-dlp knows the address
                log.debug("%s not read as a feed: %s", where(url), exc)
                return None
            raise _job_error(exc, url) from None
        if answer.status == 304 and known is not None:
            if known.feed is None:
                return self._stored_feed(url, known)
            if self.stored is not None:
                self.stored.touch(url)  # still followed: not pruned
            return known.feed
        kind = _header(answer.headers, "Content-Type")
        if not looks_like_feed(answer.body, kind):
            if known is not None:  # a feed before: an error page, a login wall…
                raise TransientError(f"{where(url)} answered with something that is no feed")
            self._remember_not_feed(url)
            return None
        try:
            feed = parse_feed(answer.body, url)
        except FeedError as exc:
            if known is not None:
                raise TransientError(f"{where(url)} answered with a broken feed: {exc}") from None
            self._remember_not_feed(url)
            return None
        if conditional:  # a follow's: kept for its next poll (a dropped link is read once)
            etag = _header(answer.headers, "ETag")
            modified = _header(answer.headers, "Last-Modified")
            with self._lock:
                self._read[url] = _Read(feed, etag, modified)
            if (etag or modified) and self.stored is not None:
                self.stored.save(url, Stored(etag, modified, answer.body))
        return feed

    def _stored_feed(self, url: str, known: _Read) -> Feed | None:
        """The feed stored on disk that a 304 says still holds, parsed now and kept in memory;
        read whole again if the stored copy does not parse (it did when it was stored)."""
        try:
            feed = parse_feed(known.body or b"", url)
        except FeedError:
            with self._lock:
                self._read.pop(url, None)
            if self.stored is not None:
                self.stored.forget(url)
            return self.read(url, conditional=False)
        with self._lock:
            self._read[url] = _Read(feed, known.etag, known.last_modified)
        if self.stored is not None:
            self.stored.touch(url)
        return feed

    def chapters(self, url: str) -> tuple[tuple[float, str], ...]:
        """A Podcasting 2.0 chapters file as (start seconds, title); nothing when it cannot be
        read (chapters are a nicety: the episode is filed without them)."""
        try:
            answer = self.http.get(url, max_bytes=MAX_CHAPTERS_BYTES)
        except HttpError as exc:
            log.info("chapters not read (%s); filing the episode without them", exc)
            return ()
        return tuple((c.start_s, c.title) for c in parse_chapters_json(answer.body))


def _header(headers: Mapping[str, str], name: str) -> str | None:
    """A header of an answer, whatever the case it came in (a plain dict keeps the case the
    server sent)."""
    wanted = name.lower()
    return next((str(v) for k, v in headers.items() if str(k).lower() == wanted), None)


def _job_error(exc: HttpError, url: str) -> Exception:
    """What a failed read of a known feed means for the poll: retry later, or not."""
    if isinstance(exc, Unreachable) and exc.network_down:
        return NetworkDownError(str(exc), host=urlsplit(url).hostname or "")
    if isinstance(exc, ErrorStatus) and exc.status == 429:
        return RateLimitedError(str(exc))
    if isinstance(exc, Blocked):
        return PermanentError(f"{exc} (network.allow_private permits internal addresses)")
    if isinstance(exc, ErrorStatus) and exc.status in (404, 410):
        return PermanentError(str(exc))
    return TransientError(str(exc))
