"""Which episodes of a followed feed are fetched: a new follow's newest 10, ``since``,
``keep_last``; and which a ``keep_last`` follow no longer keeps."""

from __future__ import annotations

from spotsyncd.core.models import Link, LinkKind, ListedItem, Listing, Source, TrackMeta
from spotsyncd.follows.episodes import (
    BACK_CATALOGUE_WHY,
    BEFORE_SINCE_WHY,
    beyond_keep_last,
    held_back,
    is_episode_listing,
    keep_last_why,
)


def _listing(count: int) -> Listing:
    """``count`` episodes, newest first, published on 2025-03-<count>… down to the 1st."""
    items = tuple(
        ListedItem(
            Link(f"podcast:f:{n}", f"https://a.host/{n}.mp3", Source.GENERIC, LinkKind.TRACK),
            TrackMeta(title=f"E{n}", date=f"2025-03-{n:02d}"),
        )
        for n in range(count, 0, -1)
    )
    return Listing("Show", items, "fp")


def test_a_new_follow_fetches_the_newest_ten() -> None:
    listing = _listing(12)
    keys = [i.link.key for i in listing.items]
    held = held_back(listing, keys, {}, first_poll=True)
    assert held == {BACK_CATALOGUE_WHY: ("podcast:f:2", "podcast:f:1")}
    assert held_back(listing, keys[:1], {}, first_poll=False) == {}  # later: every new one
    assert held_back(listing, keys, {"since": "all"}, first_poll=True) == {}


def test_since_and_keep_last() -> None:
    listing = _listing(5)
    keys = [i.link.key for i in listing.items]
    held = held_back(listing, keys, {"since": "2025-03-03"}, first_poll=True)
    assert held == {BEFORE_SINCE_WHY: ("podcast:f:2", "podcast:f:1")}
    held = held_back(listing, keys, {"keep_last": 2, "since": "2025-03-02"}, first_poll=False)
    assert held == {keep_last_why(2): ("podcast:f:3", "podcast:f:2", "podcast:f:1")}


def test_beyond_keep_last() -> None:
    order = ["podcast:f:5", "podcast:f:4", "podcast:f:3"]
    assert beyond_keep_last(order, {"keep_last": 2}) == ["podcast:f:3"]
    assert beyond_keep_last(order, {}) == []
    assert is_episode_listing(_listing(2)) and not is_episode_listing(Listing(None, (), "x"))
