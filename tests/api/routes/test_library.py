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
