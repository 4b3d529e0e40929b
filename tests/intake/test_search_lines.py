"""Free-text lines: which lines are searches, their stable keys, and the refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from spotsyncd.core.errors import LinkError
from spotsyncd.core.models import LinkKind, Source
from spotsyncd.intake.links import parse_line, read_link_file
from spotsyncd.intake.search_lines import parse_search, query_of_url, search_link


@pytest.mark.parametrize(
    ("line", "artist", "title"),
    [
        ("Daft Punk - Veridis Quo", "Daft Punk", "Veridis Quo"),
        ("Veridis Quo by Daft Punk", "Daft Punk", "Veridis Quo"),
        ("Calvin Harris – Summer (Tiësto Remix)", "Calvin Harris", "Summer (Tiësto Remix)"),
        ("Stand by Me by Ben E. King", "Ben E. King", "Stand by Me"),
        ("Jay-Z - 99 Problems", "Jay-Z", "99 Problems"),
        ("AC/DC - Back In Black", "AC/DC", "Back In Black"),
        ("Bonobo — Kerala - Radio Edit", "Bonobo", "Kerala - Radio Edit"),
        ("  Sigur Rós   -   Hoppípolla  ", "Sigur Rós", "Hoppípolla"),
        ("宇多田ヒカル - First Love", "宇多田ヒカル", "First Love"),
    ],
)
def test_searches_are_split_into_artist_and_title(line: str, artist: str, title: str) -> None:
    query = parse_search(line)
    assert (query.artist, query.title) == (artist, title)
    link = parse_line(line)
    assert link.source is Source.SEARCH and link.kind is LinkKind.TRACK
    assert query_of_url(link.url) == query  # the pipeline reads back what the user typed


def test_the_same_search_typed_otherwise_is_one_key() -> None:
    keys = {
        parse_line(line).key
        for line in (
            "Daft Punk - Veridis Quo",
            "daft punk – VERIDIS QUO",
            "Veridis Quo by Daft Punk",
            "Daft  Punk — Veridis Quo   # from the radio",
        )
    }
    assert keys == {"search:daft punk - veridis quo"}
    assert parse_line("Daft Punk - Veridis Quo (Live)").key != "search:daft punk - veridis quo"


@pytest.mark.parametrize("line", ["hello world", "hello", "Daft Punk-Veridis Quo", "- Title",
                                  "Artist - ", "!!! - ???", "by Someone"])  # fmt: skip
def test_lines_that_are_neither_say_how_to_write_a_search(line: str) -> None:
    with pytest.raises(LinkError) as caught:
        parse_line(line)
    assert "'Artist - Title'" in str(caught.value) and "http" in str(caught.value)


@pytest.mark.parametrize(
    "line",
    [
        "file:///etc/passwd - x",
        "/etc/passwd - root",
        "~/.ssh/id_rsa by me",
        "C:\\Users\\me - x",
        "javascript:alert(1) - x",
        "https://example.com/a b - c",
        "www.example.com - c",
    ],
)
def test_link_like_lines_and_paths_are_never_searches(line: str) -> None:
    with pytest.raises(LinkError) as caught:
        parse_line(line)
    assert "Artist - Title" not in str(caught.value)  # the link parser's own reason


def test_control_characters_and_huge_searches_are_refused() -> None:
    with pytest.raises(LinkError, match="control"):
        search_link("Artist - Ti\u202etle")
    with pytest.raises(LinkError, match="longer than"):
        search_link("A - " + "x" * 400)


def test_search_lines_in_a_link_file_are_deduplicated(tmp_path: Path) -> None:
    path = tmp_path / "links.txt"
    path.write_text(
        "Daft Punk - Veridis Quo\nveridis quo by daft punk\nhello world\n"
        "https://youtu.be/dQw4w9WgXcQ\n",
        encoding="utf-8",
    )
    results = list(read_link_file(path))
    assert [r.link.key if r.link else r.error for r in results][
        0
    ] == "search:daft punk - veridis quo"
    assert len(results) == 3
    assert results[1].error is not None and "Artist - Title" in results[1].error
    assert results[2].link is not None and results[2].link.key == "youtube:dQw4w9WgXcQ"
