"""A feed as the listing a follow or a dropped link expands into: one track per episode.

An episode's key is ``podcast:<feed>:<episode>``, two short digests: of the collection's own key
(the feed's address as the intake keyed it) and of the episode's identity (its GUID, else its
enclosure's path, see tracking.py). The enclosure's address is only what to fetch, so a feed that
moves its files to another host, or puts a measurement redirect in front of them, keeps every key.
Items are listed newest first (by publication date where every item has one, else as the feed
lists them), with the tags the feed gives (``Feed.meta``). Pure functions.
"""

from __future__ import annotations

import hashlib

from spotsyncd.core.models import EPISODE_KEY_PREFIX, Link, LinkKind, ListedItem, Listing, Source
from spotsyncd.core.wording import counted
from spotsyncd.sources.feeds.parse import Episode, Feed


def _digest(text: str, size: int) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:size]


def episode_key(feed_key: str, identity: str) -> str:
    """The ledger key of the episode ``identity`` of the feed keyed ``feed_key``."""
    return f"{EPISODE_KEY_PREFIX}{_digest(feed_key, 12)}:{_digest(identity, 20)}"


def is_episode_key(key: str) -> bool:
    return key.startswith(EPISODE_KEY_PREFIX)


def newest_first(episodes: list[Episode]) -> list[Episode]:
    """By publication date when every episode has one; otherwise the feed's own order (feeds
    list the newest first; a date on some items only would shuffle the rest)."""
    if episodes and all(e.published_ts is not None for e in episodes):
        return sorted(episodes, key=lambda e: -(e.published_ts or 0.0))
    return list(episodes)


def listing_of(feed: Feed, feed_key: str, *, limit: int | None = None) -> Listing:
    """The episodes of ``feed`` as a listing under ``feed_key``; ``limit``: the newest only
    (a dropped feed link, which is fetched once and never diffed)."""
    episodes = newest_first(feed.episodes)
    notes: list[str] = []
    if limit is not None and len(episodes) > limit:
        notes.append(
            f"the newest {limit} of {counted(len(episodes), 'episode')}; follow the feed with "
            "since: all for the rest"
        )
        episodes = episodes[:limit]
    if feed.skipped:
        notes.append(f"{counted(len(feed.skipped), 'item')} without audio left out")
    items = tuple(
        ListedItem(
            Link(episode_key(feed_key, e.identity), e.media_url, Source.GENERIC, LinkKind.TRACK),
            feed.meta(e),
        )
        for e in episodes
    )
    fingerprint = _digest("\n".join(i.link.key for i in items), 64)
    return Listing(feed.title, items, fingerprint, tuple(notes), feed.image_url)
