from __future__ import annotations

import pytest

from spotsyncd.sources.feeds.tracking import location_identity, strip_tracking


@pytest.mark.parametrize(
    ("url", "real"),
    [
        (
            "https://www.podtrac.com/pts/redirect.mp3/dovetail.prxu.org/_/126/nv221.mp3",
            "https://dovetail.prxu.org/_/126/nv221.mp3",
        ),
        (
            "http://www.podtrac.com/pts/redirect.mp3?http://www.taverncast.com/shows/tc-62.mp3",
            "http://www.taverncast.com/shows/tc-62.mp3",
        ),
        (
            "https://dts.podtrac.com/redirect.mp3/chtbl.com/track/A1B2/cdn.host.fm/ep/1.mp3",
            "https://cdn.host.fm/ep/1.mp3",
        ),
        ("https://pdst.fm/e/op3.dev/e/files.host.org/ep2.mp3", "https://files.host.org/ep2.mp3"),
        (
            "https://cdn.example.org/ep3.mp3?source=feed",
            "https://cdn.example.org/ep3.mp3?source=feed",
        ),
    ],
)
def test_tracking_prefixes_come_off(url: str, real: str) -> None:
    assert strip_tracking(url) == real


def test_a_file_that_moves_host_or_gains_a_redirect_keeps_its_identity() -> None:
    first = location_identity("https://old-cdn.example.org/show/ep4.mp3?v=1")
    assert location_identity("https://new-cdn.example.net/show/ep4.mp3") == first
    assert (
        location_identity("https://dts.podtrac.com/redirect.mp3/new.example.net/show/ep4.mp3")
        == first
    )
    assert location_identity("https://new.example.net/show/ep5.mp3") != first


def test_an_unknown_redirect_service_that_carries_the_address_keeps_the_identity() -> None:
    first = location_identity("http://127.0.0.1:8001/media/ep7.mp3")
    assert location_identity("http://127.0.0.1:9002/track/x1/127.0.0.1:8003/media/ep7.mp3") == (
        location_identity("https://redirect.example/e/cdn.host.fm/media/ep7.mp3")
    )
    assert (
        location_identity("http://127.0.0.1:9002/e/cdn.host.fm/media/ep7.mp3") == "/media/ep7.mp3"
    )
    assert first == "/media/ep7.mp3"
    assert location_identity("https://host.example/v1.2/shows/ep7.mp3") == "/v1.2/shows/ep7.mp3"
