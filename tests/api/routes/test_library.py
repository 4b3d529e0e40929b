"""``/library``: albums with covers, artists, sorted and searched tracks, an album's page; and
``/tracks/{key}/cover``: a small JPEG made from the cover embedded in the filed file."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from spotsyncd.core.models import TrackMeta
from tests.api.conftest import Web
from tests.fakes.audio import FFMPEG
from tests.fakes.filed import file_track
from tests.fakes.images import make_image

API = "/api/v1"


def _size(jpeg: bytes) -> tuple[int, int]:
    out = subprocess.run([FFMPEG, "-hide_banner", "-i", "pipe:0", "-f", "null", "-"],
                         input=jpeg, capture_output=True, check=False).stderr.decode()  # fmt: skip
    width, height = next(w for w in out.split() if "x" in w and w.split("x")[0].isdigit()).split(
        "x"
    )[:2]
    return int(width), int(height.rstrip(","))


@pytest.fixture
def filed(web: Web, tmp_path: Path) -> Web:
    big = make_image(tmp_path / "big.jpg", "red", size=800)
    library = web.config.library_dir
    songs = [
        (1, "Neon Coast", "Second Wind", "Night Drive", 2, big),
        (2, "Neon Coast", "First Light", "Night Drive", 1, big),
        (3, "Marrow Hill", "Glass Rivers", "Estuary", 1, None),
        (4, "June Vale", "Alone", None, None, None),
    ]
    for n, artist, title, album, number, cover in songs:
        meta = TrackMeta(title=title, artists=(artist,), album=album, track_number=number)
        file_track(web.ledger, library, n, f"{artist}/{album or 'Singles'}/{title}.mp3", meta,
                   seconds=1.0, cover=cover)  # fmt: skip
    return web


def test_albums_are_grouped_sorted_and_searched(filed: Web) -> None:
    albums = filed.client.get(f"{API}/library/albums").json()["items"]
    assert [(a["album"], a["artist"], a["tracks"]) for a in albums] == [
        ("", "June Vale", 1), ("Estuary", "Marrow Hill", 1), ("Night Drive", "Neon Coast", 2)
    ]  # fmt: skip
    by_artist = filed.client.get(f"{API}/library/albums?sort=artist&order=desc").json()["items"]
    assert [a["artist"] for a in by_artist] == ["Neon Coast", "Marrow Hill", "June Vale"]
    found = filed.client.get(f"{API}/library/albums?q=glass").json()["items"]
    assert [a["album"] for a in found] == ["Estuary"]


def test_an_album_page_lists_its_tracks_in_order_and_has_a_cover(filed: Web) -> None:
    night = next(a for a in filed.client.get(f"{API}/library/albums").json()["items"]
                 if a["album"] == "Night Drive")  # fmt: skip
    album = filed.client.get(f"{API}/library/albums/{night['id']}").json()
    assert [t["title"] for t in album["items"]] == ["First Light", "Second Wind"]
    assert all(t["audio_url"] and t["cover_url"] for t in album["items"])
    cover = filed.client.get(night["cover_url"])
    assert cover.status_code == 200 and cover.headers["content-type"] == "image/jpeg"
    assert max(_size(cover.content)) <= 300  # a thumbnail of the 800 px picture
    assert filed.client.get(f"{API}/library/albums/bm9wZQ").status_code == 404
    assert filed.client.get(f"{API}/library/albums/{'%'}").status_code in (404, 400)


def test_a_track_without_a_cover_is_404_or_a_placeholder(filed: Web) -> None:
    tracks = filed.client.get(f"{API}/library/tracks").json()["items"]
    rivers = next(t for t in tracks if t["title"] == "Glass Rivers")
    assert filed.client.get(rivers["cover_url"]).status_code == 404
    placeholder = filed.client.get(rivers["cover_url"] + "?placeholder=true")
    assert placeholder.status_code == 200
    assert placeholder.headers["content-type"].startswith("image/svg+xml")


def test_covers_are_cached_and_follow_a_changed_file(filed: Web, tmp_path: Path) -> None:
    tracks = filed.client.get(f"{API}/library/tracks").json()["items"]
    light = next(t for t in tracks if t["title"] == "First Light")
    first = filed.client.get(light["cover_url"]).content
    cache = filed.config.state_dir / "cache" / "covers"
    assert len(list(cache.glob("*.jpg"))) == 1
    assert filed.client.get(light["cover_url"]).content == first  # from the cache
    from spotsyncd.media.tags import MutagenTagger

    path = filed.config.library_dir / light["path"]
    blue = make_image(tmp_path / "blue.jpg", "blue", size=64)
    MutagenTagger().write(path, TrackMeta(title="First Light"), key=light["key"], cover=blue)
    assert filed.client.get(light["cover_url"]).content != first


def test_tracks_sort_by_title_artist_album_and_added(filed: Web) -> None:
    def titles(query: str) -> list[str]:
        items = filed.client.get(f"{API}/library/tracks?{query}").json()["items"]
        return [t["title"] for t in items]

    assert titles("sort=title") == ["Alone", "First Light", "Glass Rivers", "Second Wind"]
    assert titles("sort=title&order=desc")[::3] == ["Second Wind", "Alone"]
    assert titles("sort=artist")[:2] == ["Alone", "Glass Rivers"]
    assert titles("sort=added&order=desc")[0] == "Alone"  # filed last
    assert titles("sort=album")[0] == "Alone"  # no album sorts first
    assert titles("q=neon&sort=title") == ["First Light", "Second Wind"]
    assert titles("artist=Neon%20Coast&sort=title") == ["First Light", "Second Wind"]
    page = filed.client.get(f"{API}/library/tracks?sort=title&limit=3").json()
    assert page["next_offset"] == 3
    rest = filed.client.get(f"{API}/library/tracks?sort=title&offset=3").json()
    assert [t["title"] for t in rest["items"]] == ["Second Wind"] and rest["next_offset"] is None


def test_artists_with_their_counts(filed: Web) -> None:
    artists = filed.client.get(f"{API}/library/artists").json()["items"]
    assert [(a["artist"], a["tracks"], a["albums"]) for a in artists] == [
        ("June Vale", 1, 1), ("Marrow Hill", 1, 1), ("Neon Coast", 2, 1)
    ]  # fmt: skip


# Albums that tie on the sorted name: one title by three artists, two artists whose names differ
# only in case, and (below) one "added" time for all of them.
SHELVES = [
    ("Alpha", "Greatest Hits"), ("beta", "Greatest Hits"), ("ALPHA", "Greatest Hits"),
    ("Alpha", "greatest hits"), ("Gamma", "Blue"), ("alpha", "Blue"), ("Delta", "Zebra"),
]  # fmt: skip


@pytest.fixture
def shelves(web: Web, tmp_path: Path) -> Web:
    from sqlalchemy import update

    from spotsyncd.ledger.schema import tracks
    from tests.fakes.audio import make_audio

    audio = make_audio(tmp_path / "tone.mp3", seconds=0.5)
    for n, (artist, album) in enumerate(SHELVES):
        meta = TrackMeta(title=f"Song {n}", artists=(artist,), album=album)
        file_track(web.ledger, web.config.library_dir, n, f"{n}/{n}.mp3", meta, seconds=0.5,
                   audio=audio)  # fmt: skip
    with web.ledger.engine.begin() as conn:
        conn.execute(update(tracks).values(done_at=1_700_000_000.0))
    web.ledger.event("info", "test", "the added times changed")  # kept answers are stale now
    return web


def _walk(web: Web, route: str, query: str, limit: int) -> list[tuple[str, ...]]:
    """Every page of ``route`` with ``limit`` a page, following ``next_offset`` to null."""
    seen: list[tuple[str, ...]] = []
    offset: int | None = 0
    while offset is not None:
        answer = web.client.get(f"{API}/library/{route}?{query}&limit={limit}&offset={offset}")
        assert answer.status_code == 200, answer.text
        page = answer.json()
        assert 0 < len(page["items"]) <= limit  # never an empty page before the end
        seen += [(a["artist"], a.get("album", "")) for a in page["items"]]
        offset = page["next_offset"]
        assert len(seen) <= len(SHELVES), "next_offset never came to null"
    return seen


@pytest.mark.parametrize("query", ["sort=album", "sort=album&order=desc", "sort=artist",
                                   "sort=artist&order=desc", "sort=added", "sort=added&order=desc",
                                   "sort=album&q=greatest"])  # fmt: skip
def test_album_pages_join_up_without_skips_or_repeats(shelves: Web, query: str) -> None:
    whole = shelves.client.get(f"{API}/library/albums?{query}&limit=500").json()
    everything = [(a["artist"], a["album"]) for a in whole["items"]]
    assert whole["next_offset"] is None
    assert len(set(everything)) == len(everything) == (4 if "q=" in query else len(SHELVES))
    for limit in (1, 2, 3, 4):
        assert _walk(shelves, "albums", query, limit) == everything, limit


def test_album_pages_break_ties_by_the_other_name(shelves: Web) -> None:
    items = shelves.client.get(f"{API}/library/albums?sort=album").json()["items"]
    first = [(a["album"], a["artist"].lower()) for a in items][:2]
    assert first == [("Blue", "alpha"), ("Blue", "gamma")]
    assert [a["artist"].lower() for a in items[2:6]] == ["alpha", "alpha", "alpha", "beta"]


def test_album_and_artist_pages_end_with_a_null_next_offset(shelves: Web) -> None:
    first = shelves.client.get(f"{API}/library/albums?limit=3").json()
    assert len(first["items"]) == 3 and first["next_offset"] == 3
    last = shelves.client.get(f"{API}/library/albums?limit=3&offset=6").json()
    assert len(last["items"]) == 1 and last["next_offset"] is None
    exact = shelves.client.get(f"{API}/library/albums?limit=7").json()  # no empty page after it
    assert len(exact["items"]) == 7 and exact["next_offset"] is None
    beyond = shelves.client.get(f"{API}/library/albums?offset=100").json()
    assert beyond == {"items": [], "next_offset": None}
    default = shelves.client.get(f"{API}/library/albums").json()  # old clients: same fields
    assert len(default["items"]) == len(SHELVES) and default["next_offset"] is None
    assert set(default["items"][0]) >= {"id", "artist", "album", "tracks", "added_at", "cover_url"}
    artists = sorted({artist for artist, _ in SHELVES}, key=lambda a: (a.lower(), a))
    assert _walk(shelves, "artists", "", 2) == [(a, "") for a in artists]
    page = shelves.client.get(f"{API}/library/artists?limit=2").json()
    assert page["next_offset"] == 2 and set(page["items"][0]) >= {"artist", "albums", "cover_url"}


def test_album_pages_are_kept_per_page(shelves: Web) -> None:
    first = shelves.client.get(f"{API}/library/albums?limit=2").content
    second = shelves.client.get(f"{API}/library/albums?limit=2&offset=2").content
    assert first != second
    assert shelves.client.get(f"{API}/library/albums?limit=2").content == first
    assert shelves.client.get(f"{API}/library/albums?limit=3").json()["next_offset"] == 3


@pytest.mark.parametrize("route", ["albums", "artists"])
@pytest.mark.parametrize("params", ["offset=-1", "offset=abc", "offset=10000001", "limit=0",
                                    "limit=501", "limit=-5", "limit=1.5"])  # fmt: skip
def test_bad_offset_or_limit_is_a_clear_422(shelves: Web, route: str, params: str) -> None:
    answer = shelves.client.get(f"{API}/library/{route}?{params}")
    assert answer.status_code == 422, answer.text
    message = answer.json()["error"]["message"]
    assert params.split("=")[0] in message and "Traceback" not in answer.text
