"""The inbox watcher on a real SQLite ledger: a playlist file or export becomes tracks (each once,
with what the file says of it) and one collection per playlist; content decides over the name."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from spotsyncd.core.config import Config
from spotsyncd.intake.inbox import InboxWatcher
from spotsyncd.ledger import Ledger
from tests.api.conftest import make_config

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "realworld" / "playlists"


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_config(tmp_path)


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    led = Ledger(tmp_path / "ledger.sqlite3")
    yield led
    led.close()


def accept(config: Config, ledger: Ledger, name: str, data: bytes) -> None:
    (config.inbox_dir / name).write_bytes(data)
    InboxWatcher(config, ledger, on_accepted=lambda: None).handle(name, settled=True)


def test_each_playlist_of_a_real_account_export_is_a_collection(
    config: Config, ledger: Ledger
) -> None:
    if not SHARED.is_dir():
        pytest.skip("../shared/realworld/playlists is not present")
    data = (SHARED / "spotify_account_Playlist1.json").read_bytes()
    document = json.loads(data)
    accept(config, ledger, "Playlist1.json", data)
    wanted = {
        p["name"]: list(dict.fromkeys(i["track"]["trackUri"] for i in p["items"] if i["track"]))
        for p in document["playlists"]
    }
    got = {c.name: [t.key for t in ledger.collection_tracks(c.id)] for c in ledger.collections()}
    assert got == {name: keys for name, keys in wanted.items() if keys}  # "Zeno": episodes only
    first = document["playlists"][0]["items"][0]["track"]
    track = ledger.track(first["trackUri"])
    assert track is not None and track.meta.album == first["albumName"]
    assert track.meta.title == first["trackName"] and track.meta.artists == (first["artistName"],)

    library = (SHARED / "spotify_account_YourLibrary.json").read_bytes()
    accept(config, ledger, "YourLibrary.json", library)
    liked = next(c for c in ledger.collections() if c.name == "Liked Songs")
    assert liked.size == len(json.loads(library)["tracks"])
    assert [c.origin for c in ledger.collections() if c.name == "Liked Songs"] == [
        "YourLibrary.json"
    ]


def test_a_track_in_two_playlists_is_one_track_listed_by_both(
    config: Config, ledger: Ledger
) -> None:
    shared = {"trackName": "Both", "artistName": "Band", "albumName": "LP",
              "trackUri": "spotify:track:0000000000000000000001"}  # fmt: skip
    only = {"trackName": "One", "artistName": "Band", "albumName": "LP",
            "trackUri": "spotify:track:0000000000000000000002"}  # fmt: skip
    export = {"playlists": [
        {"name": "A", "items": [{"track": shared}, {"track": only}]},
        {"name": "B", "items": [{"track": shared}]},
    ]}  # fmt: skip
    accept(config, ledger, "Playlist1.json", json.dumps(export).encode())
    assert ledger.counts().get("pending") == 2
    sizes = {c.name: c.size for c in ledger.collections()}
    assert sizes == {"A": 2, "B": 1}
    assert (config.inbox_dir / "processed" / "Playlist1.json").exists()


def test_an_m3u_saved_as_txt_is_read_as_a_playlist_with_its_hints(
    config: Config, ledger: Ledger
) -> None:
    m3u = "#EXTM3U\n#EXTINF:245,Daft Punk - Veridis Quo\n/home/me/Music/Discovery/11.flac\n"
    accept(config, ledger, "old player.txt", m3u.encode())
    track = ledger.track("search:daft punk - veridis quo")
    assert track is not None and track.meta.duration_s == 245
    assert [c.name for c in ledger.collections()] == ["old player"]


def test_a_csv_export_keeps_album_and_duration_for_the_matcher(
    config: Config, ledger: Ledger
) -> None:
    csv = "Artist,Title,Album,Duration (ms)\nAir,La Femme d'Argent,Moon Safari,428000\n"
    accept(config, ledger, "mine.csv", csv.encode())
    track = ledger.track("search:air - la femme dargent")
    assert track is not None
    assert (track.meta.album, track.meta.duration_s) == ("Moon Safari", 428.0)


def test_a_link_file_stays_a_link_file(config: Config, ledger: Ledger) -> None:
    accept(config, ledger, "links.txt", b"https://www.youtube.com/watch?v=dQw4w9WgXcQ\n")
    assert ledger.track("youtube:dQw4w9WgXcQ") is not None
    assert ledger.collections() == []


@pytest.mark.parametrize(
    "text",
    [
        "# my track uri list\nhttps://www.youtube.com/watch?v=dQw4w9WgXcQ\n",
        "<https://www.youtube.com/watch?v=dQw4w9WgXcQ>\n",
    ],
)
def test_a_link_file_that_merely_looks_odd_stays_a_link_file(
    config: Config, ledger: Ledger, text: str
) -> None:
    accept(config, ledger, "links.txt", text.encode())
    assert (config.inbox_dir / "processed" / "links.txt").exists()
    assert ledger.collections() == []


def test_the_account_export_zip_as_downloaded_is_read_whole(config: Config, ledger: Ledger) -> None:
    if not SHARED.is_dir():
        pytest.skip("../shared/realworld/playlists is not present")
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in ("YourLibrary.json", "Playlist1.json"):
            data = (SHARED / f"spotify_account_{name}").read_bytes()
            archive.writestr(f"Spotify Account Data/{name}", data)
    accept(config, ledger, "my_spotify_data.zip", buffer.getvalue())
    names = {c.name for c in ledger.collections()}
    assert {"Liked Songs", "Road to Pigarelli 2025"} <= names
    assert (config.inbox_dir / "processed" / "my_spotify_data.zip").exists()
