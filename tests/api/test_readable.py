"""Names and reasons people can read: what was typed or the host and file until metadata
arrives, never a raw key; one short line for an error however long and repetitive."""

from __future__ import annotations

from spotsyncd.api.readable import MAX_REASON, short_reason, track_label

SEARCH_URL = "https://music.youtube.com/search?q=Daft%20Punk%20-%20Veridis%20Quo"


def test_a_label_before_and_after_metadata() -> None:
    assert track_label("search:daft punk - veridis quo", SEARCH_URL, None, None) == (
        "Daft Punk - Veridis Quo"
    )
    url = "http://127.0.0.1:8000/music/Some%20Song.mp3"
    assert track_label("url:" + url, url, None, None) == "127.0.0.1 · Some Song.mp3"
    assert track_label("url:x", "https://www.example.com/", None, None) == "example.com"
    assert track_label("youtube:abc", "https://youtu.be/abc", "Title", "Artist") == (
        "Artist – Title"
    )
    assert track_label("spotify:track:1", "spotify:track:1", None, None) == "spotify:track:1"


def test_one_short_reason() -> None:
    repeated = "; ".join(["cannot reach a.example: name resolution failed"] * 4)
    one = "offline: cannot reach a.example: name resolution failed"
    assert short_reason("offline: " + repeated) == one
    assert short_reason("HTTP 404. The file is gone (tried 3 times)") == "HTTP 404"
    long = short_reason("x" * 600)
    assert long is not None and len(long) == MAX_REASON and long.endswith("…")
    assert short_reason(None) is None and short_reason("") is None
