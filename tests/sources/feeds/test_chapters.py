from __future__ import annotations

from pathlib import Path

import pytest

from spotsyncd.sources.feeds.chapters import Chapter, parse_chapters_json, psc_chapters
from spotsyncd.sources.feeds.parse import parse_feed

SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "realworld" / "podcasts"


@pytest.fixture
def podcasts() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared/realworld/podcasts is not present")
    return SHARED


def test_the_podcast_index_example_chapters(podcasts: Path) -> None:
    chapters = parse_chapters_json((podcasts / "podcastindex_chapters_example.json").read_bytes())
    assert chapters[0] == Chapter(0.0, "Intro")
    assert chapters[1].image_url == "https://example.com/images/hearing_aids.jpg"
    assert [c.start_s for c in chapters] == sorted(c.start_s for c in chapters)
    assert chapters[3].url == "https://github.com/Podcastindex-org/podcast-namespace"


def test_podlove_simple_chapters_in_the_feed(podcasts: Path) -> None:
    data = (podcasts / "podcastparser_psc_chapters.rss").read_bytes()
    import feedparser

    entry = feedparser.parse(data).entries[0]
    chapters = psc_chapters(entry.get("psc_chapters"))
    assert [c.start_s for c in chapters] == [0.0, 1.0, 62.0, 3723.0, 3723.4]
    assert chapters[4] == Chapter(
        3723.4, "Chapter with Everything", "http://example.net/psc", "http://example.net/image2.png"
    )
    assert parse_feed(data, "https://x.example/feed").episodes == []  # no enclosure: no episode


@pytest.mark.parametrize(
    "document",
    [b"", b"[]", b'{"chapters": 5}', b'{"chapters": [{"startTime": "x", "title": "a"}]}',
     b'{"chapters": [{"startTime": 5}]}', b'{"chapters": [{"startTime": -1, "title": "a"}]}'],
)  # fmt: skip
def test_damaged_chapter_files_give_no_chapters(document: bytes) -> None:
    assert parse_chapters_json(document) == []


def test_hidden_chapters_are_left_out() -> None:
    data = b'{"chapters": [{"startTime": 0, "title": "A"}, '
    data += b'{"startTime": 9, "title": "ad", "toc": false}]}'
    assert parse_chapters_json(data) == [Chapter(0.0, "A")]
