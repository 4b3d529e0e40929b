"""Artwork of yt-dlp lists: a YouTube playlist's own thumbnail from its flat info, and a
podcast feed's image (which yt-dlp's flat listing of a feed leaves out)."""

from __future__ import annotations

from spotsyncd.intake.links import parse_link
from spotsyncd.sources.ytdlp.info import feed_image_url, listing_from_info

ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"


def test_youtube_playlist_thumbnail_is_the_listing_artwork() -> None:
    info = {
        "_type": "playlist",
        "id": "PLxyz",
        "title": "Mix",
        "thumbnails": [
            {"url": "https://i.ytimg.com/vi/a/default.jpg", "width": 120, "height": 90},
            {"url": "https://i.ytimg.com/vi/a/hqdefault.jpg?sqp=x", "width": 480, "height": 360},
        ],
        "entries": [{"_type": "url", "url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
                     "id": "dQw4w9WgXcQ", "title": "One"}],
    }  # fmt: skip
    listing = listing_from_info(info, link_of=parse_link)
    assert listing.image_url == "https://i.ytimg.com/vi/a/hqdefault.jpg?sqp=x"
    assert listing_from_info({**info, "thumbnails": []}, link_of=parse_link).image_url is None


def test_feed_image() -> None:
    rss = (
        f'<rss xmlns:itunes="{ITUNES}"><channel><title>Show</title>'
        "<image><url>https://cdn.example.org/show-small.png</url></image>"
        '<itunes:image href="https://cdn.example.org/show.jpg"/>'
        "<item><itunes:image href='https://cdn.example.org/ep1.jpg'/></item></channel></rss>"
    )
    assert feed_image_url(rss.encode()) == "https://cdn.example.org/show.jpg"
    plain = (
        "<rss><channel><image><url> https://cdn.example.org/a.png </url></image></channel></rss>"
    )
    assert feed_image_url(plain.encode()) == "https://cdn.example.org/a.png"
    atom = '<feed xmlns="http://www.w3.org/2005/Atom"><logo>https://x.org/logo.png</logo></feed>'
    assert feed_image_url(atom.encode()) == "https://x.org/logo.png"
    for bad in (
        b"<html><body>not a feed",
        b"\x00\xff",
        b"<rss><channel><image><url>file:///etc/passwd</url></image></channel></rss>",
    ):
        assert feed_image_url(bad) is None
