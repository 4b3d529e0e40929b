"""A follow's own page: the follow, its tracks by state (removed upstream ones too, named
until their metadata arrives) and a new poll interval."""

from __future__ import annotations

import time

from spotsyncd.core.models import ListedItem, Listing, TrackMeta
from spotsyncd.intake.links import parse_link
from tests.api.conftest import Web

API = "/api/v1"
FEED = "https://feeds.example.com/show.xml"


def test_one_follow_its_tracks_and_its_interval(web: Web) -> None:
    assert web.client.post(f"{API}/follows", json={"url": FEED, "name": "show"}).status_code == 201
    follow = web.ledger.follow("show")
    assert follow is not None
    first = ListedItem(parse_link("https://media.example.com/ep/episode-1.mp3"))
    second = ListedItem(parse_link("https://media.example.com/ep/episode-2.mp3"),
                        TrackMeta(title="Episode Two", artists=("The Host",)))  # fmt: skip
    web.ledger.apply_listing(follow.id, Listing("Show", (first, second), "a"), now=time.time())
    web.ledger.apply_listing(follow.id, Listing("Show", (second,), "b"), now=time.time())
    got = web.client.get(f"{API}/follows/show").json()
    assert got["name"] == "show" and got["tracks"]["absent"] == 1
    items = web.client.get(f"{API}/follows/show/tracks").json()
    assert [(i["label"], i["state"], bool(i["absent_since"])) for i in items["items"]] == [
        ("The Host – Episode Two", "pending", False),
        ("media.example.com · episode-1.mp3", "pending", True),  # removed upstream, kept
    ]
    assert items["playlist_url"] == "/api/v1/follows/show/playlist.m3u8"
    changed = web.client.patch(f"{API}/follows/show", json={"every": "2h"})
    assert changed.status_code == 200 and changed.json()["interval_s"] == 7200
    assert changed.json()["next_poll_at"] >= time.time() - 1
    bad = web.client.patch(f"{API}/follows/show", json={"every": "10s"})
    assert bad.status_code == 422 and "1 minute" in bad.json()["error"]["message"]
    assert web.client.patch(f"{API}/follows/nope", json={"every": "2h"}).status_code == 404
    assert web.client.get(f"{API}/follows/nope/tracks").status_code == 404
