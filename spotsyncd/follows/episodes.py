"""Which of a followed feed's episodes are fetched and kept: ``since`` and ``keep_last``.

A feed lists its whole back catalogue, often hundreds of hours. A new follow fetches the newest
``NEW_FOLLOW_EPISODES`` and from then on every new episode; ``since: DATE`` fetches what was
published on or after that date, ``since: all`` everything. ``keep_last: N`` keeps the newest N
the feed lists: older ones are not fetched, and their files go (see ``FollowPoller``).

Episodes not fetched are set aside as ``--new-only`` does it: known to the ledger, failed with
the reason, so ``spotsyncd retry KEY`` or dropping the link still fetches one. Pure functions over
the listing (newest first, as ``sources.feeds.listing`` orders it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from spotsyncd.core.models import EPISODE_KEY_PREFIX, Listing

NEW_FOLLOW_EPISODES = 10

BACK_CATALOGUE_WHY = (
    f"older than the newest {NEW_FOLLOW_EPISODES} episodes when the feed was followed; set the "
    "follow's since option (a date, or all) or 'spotsyncd retry KEY' to fetch it"
)
BEFORE_SINCE_WHY = "published before the follow's since date; 'spotsyncd retry KEY' fetches it"
FETCHED_BEFORE_WHY = (
    "fetched by an earlier version, which read feeds through yt-dlp (under its audio URL); "
    "'spotsyncd retry KEY' fetches it again, named and tagged from the feed"
)


def keep_last_why(count: int) -> str:
    return f"older than the newest {count} episodes the follow keeps (keep_last)"


def is_episode_key(key: str) -> bool:
    return key.startswith(EPISODE_KEY_PREFIX)


def is_episode_listing(listing: Listing) -> bool:
    return bool(listing.items) and all(is_episode_key(i.link.key) for i in listing.items)


def held_back(
    listing: Listing,
    new: Sequence[str],
    options: dict[str, Any],
    *,
    first_poll: bool,
    fetched_until: str | None = None,
) -> dict[str, tuple[str, ...]]:
    """The new episodes of a feed poll not to fetch, by reason. ``fetched_until`` (a date): the
    follow's items were fetched until then under other keys (a follow from before feeds were
    read as podcasts), so what was published before it is not fetched again."""
    fresh = set(new)
    order = [i.link.key for i in listing.items]
    held: dict[str, tuple[str, ...]] = {}
    taken: set[str] = set()

    def hold(why: str, keys: Sequence[str]) -> None:
        chosen = tuple(k for k in keys if k in fresh and k not in taken)
        if chosen:
            held[why] = chosen
            taken.update(chosen)

    if fetched_until is not None:
        hold(
            FETCHED_BEFORE_WHY,
            [i.link.key for i in listing.items if (i.meta.date or "")[:10] < fetched_until],
        )
    keep_last = options.get("keep_last")
    if isinstance(keep_last, int) and keep_last > 0:
        hold(keep_last_why(keep_last), order[keep_last:])
    since = options.get("since")
    if since and since != "all":
        hold(
            BEFORE_SINCE_WHY,
            [i.link.key for i in listing.items if i.meta.date and i.meta.date[:10] < str(since)],
        )
    elif not since and first_poll:
        hold(BACK_CATALOGUE_WHY, order[NEW_FOLLOW_EPISODES:])
    return held


def beyond_keep_last(keys_newest_first: Sequence[str], options: dict[str, Any]) -> list[str]:
    """The episodes a ``keep_last`` follow no longer keeps (none without the option)."""
    keep_last = options.get("keep_last")
    if not isinstance(keep_last, int) or keep_last <= 0:
        return []
    episodes = [k for k in keys_newest_first if k.startswith(EPISODE_KEY_PREFIX)]
    return episodes[keep_last:]


def rule_names(held: dict[str, tuple[str, ...]]) -> str:
    """Which rule held episodes back, in a word each, for the log line."""
    words = {
        BEFORE_SINCE_WHY: "since",
        BACK_CATALOGUE_WHY: "a new follow fetches the newest 10",
        FETCHED_BEFORE_WHY: "fetched before under their audio URLs",
    }
    return ", ".join(words.get(why, "keep_last") for why in held)
