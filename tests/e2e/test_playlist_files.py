"""Playlist files and exports dropped into the inbox, with the daemon as a real process: their
entries are queued like a link file's lines, and what cannot be fetched is reported with why."""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

import pytest

from tests.e2e.harness import Daemon, Env, wait_for
from tests.fakes.http_server import LoopbackServer

pytestmark = pytest.mark.timeout(180)

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "realworld" / "playlists"


def _drop_bytes(env: Env, name: str, data: bytes) -> None:
    tmp = env.inbox / f".{name}.part"
    tmp.write_bytes(data)
    os.replace(tmp, env.inbox / name)


def test_an_xspf_playlist_is_fetched_and_reported(env: Env, audio_server: LoopbackServer) -> None:
    mp3, flac = audio_server.url("/mp3/tone.mp3"), audio_server.url("/flac/tone.flac")
    xspf = f"""<?xml version="1.0" encoding="UTF-8"?>
<playlist version="1" xmlns="http://xspf.org/ns/0/">
  <title>Road trip</title>
  <trackList>
    <track><location>{mp3}</location><title>One</title><creator>Someone</creator></track>
    <track><location>{flac}</location><duration>3000</duration></track>
    <track><location>{mp3}</location></track>
    <track><location>file:///home/me/Music/03%20-%20Song.flac</location></track>
  </trackList>
</playlist>"""
    with Daemon(env) as daemon:
        daemon.wait_ready()
        _drop_bytes(env, "trip.xspf", xspf.encode())
        report_file = env.inbox / "processed" / "trip.xspf.report.txt"
        wait_for(
            lambda: report_file.exists() and "in progress" not in report_file.read_text("utf-8"),
            120,
            daemon,
            what="both tracks of the playlist to be filed and the report to be final",
        )
    assert not (env.inbox / "trip.xspf").exists()
    report = report_file.read_text(encoding="utf-8")
    assert report.count("done →") == 2, report
    assert "refused →" in report and "local" in report, report
    assert len([p for p in env.library_files() if p.suffix == ".mp3"]) == 2


def test_a_spotify_account_export_is_queued_whole(env: Env) -> None:
    if not SHARED.is_dir():
        pytest.skip("../shared/realworld/playlists is not present")
    data = (SHARED / "spotify_account_Playlist1.json").read_bytes()
    document = json.loads(data)
    tracks = {
        item["track"]["trackUri"]
        for playlist in document["playlists"]
        for item in playlist["items"]
        if item.get("track")
    }
    episodes = sum(
        1 for playlist in document["playlists"] for item in playlist["items"] if item.get("episode")
    )
    with Daemon(env) as daemon:
        daemon.wait_ready()
        _drop_bytes(env, "Playlist1.json", data)
        wait_for(
            lambda: "Playlist1.json accepted" in daemon.output(),
            60,
            daemon,
            what="the export to be accepted",
        )
        output = daemon.output()
    assert (env.inbox / "processed" / "Playlist1.json").exists()
    ledger = env.ledger()
    try:
        keys = {row.key for row in ledger.tracks()}
    finally:
        ledger.close()
    assert {uri for uri in tracks} <= keys, tracks - keys
    assert f"{len(tracks)} links queued, {episodes} lines refused" in output


def test_a_file_that_is_no_playlist_moves_to_failed_with_the_reason(env: Env) -> None:
    with Daemon(env) as daemon:
        daemon.wait_ready()
        _drop_bytes(env, "colours.csv", b"colour,shape\nred,round\n")
        reason_file = env.inbox / "failed" / "colours.csv.reason.txt"
        wait_for(reason_file.exists, 30, daemon, what="the file to be refused")
    reason = (env.inbox / "failed" / "colours.csv.reason.txt").read_text(encoding="utf-8")
    assert "not a playlist file" in reason and "Exportify" in reason


def _export_from_real_shape(playlists: dict[str, list[dict[str, str]]],
                            liked: list[dict[str, str]]) -> tuple[bytes, bytes]:  # fmt: skip
    """Playlist1.json and YourLibrary.json as Spotify's privacy page writes them: the real
    export files with their playlists and liked songs replaced by ours, every other key kept."""
    real_playlists = json.loads((SHARED / "spotify_account_Playlist1.json").read_bytes())
    real_library = json.loads((SHARED / "spotify_account_YourLibrary.json").read_bytes())
    template_list = real_playlists["playlists"][0]
    template_item = next(i for i in template_list["items"] if i.get("track"))
    built = []
    for name, songs in playlists.items():
        items = []
        for song in songs:
            track = {"trackName": song["title"], "artistName": song["artist"],
                     "albumName": song["album"], "trackUri": song["uri"]}  # fmt: skip
            assert set(track) == set(template_item["track"])
            items.append({**template_item, "track": track})
        built.append({**template_list, "name": name, "items": items})
    template_liked = real_library["tracks"][0]
    liked_rows = []
    for song in liked:
        row = {"artist": song["artist"], "album": song["album"], "track": song["title"],
               "uri": song["uri"]}  # fmt: skip
        assert set(row) == set(template_liked)
        liked_rows.append(row)
    library = {**real_library, "tracks": liked_rows, "albums": [], "episodes": []}
    return (
        json.dumps({**real_playlists, "playlists": built}, indent=2).encode(),
        json.dumps(library, indent=2).encode(),
    )


@pytest.mark.parametrize("as_zip", [False, True], ids=["files", "zip"])
def test_a_spotify_data_export_files_every_track_once_with_its_playlists(
    tmp_path: Path, as_zip: bool
) -> None:
    """Two playlists and the liked songs of an account export, dropped into the inbox as its two
    files or as the zip it is downloaded in: Spotify's metadata where the Web API (a loopback
    fake) knows the track, the file's own otherwise; each track matched, downloaded and filed
    once; one .m3u8 per playlist and one for Liked Songs."""
    if not SHARED.is_dir():
        pytest.skip("../shared/realworld/playlists is not present")
    from tests.e2e.harness import canned_search_daemon, spotify_env
    from tests.fakes.audio import make_audio
    from tests.fakes.spotify_api import FakeSpotify

    titles = ["First Light", "Second Wind", "Third Eye", "Fourth Wall"]
    with FakeSpotify() as spotify, LoopbackServer() as audio:
        ids = spotify.add_album("4LBUMf0rTe5tS000000000", "Night Drive", ["Neon Coast"], titles)
        songs = [
            {
                "title": t,
                "artist": "Neon Coast",
                "album": "Night Drive",
                "uri": f"spotify:track:{i}",
            }  # fmt: skip
            for t, i in zip(titles, ids, strict=True)
        ]
        # A track the Web API does not know (gone from the catalogue): the file's metadata.
        songs.append({"title": "Hidden Gem", "artist": "Quiet Room", "album": "Rooms",
                      "uri": "spotify:track:0n0tInTheAp1Cata1ogue0"})  # fmt: skip
        candidates = []
        for index, song in enumerate(songs):
            make_audio(tmp_path / f"{index}.m4a", seconds=1.5, freq=300 + 80 * index)
            body = (tmp_path / f"{index}.m4a").read_bytes()
            candidates += [
                {"video_id": f"song{index:07d}", "title": song["title"],
                 "artists": [song["artist"]], "album": song["album"],
                 "duration_s": 180 + index, "kind": "song",
                 "url": audio.add(f"/song{index}.m4a", body, "audio/mp4")},
                {"video_id": f"live{index:07d}", "title": f"{song['title']} (Live)",
                 "artists": [song["artist"]], "duration_s": 260 + index, "kind": "video",
                 "url": audio.add(f"/live{index}.m4a", body, "audio/mp4")},
            ]  # fmt: skip
        search_file = tmp_path / "candidates.json"
        search_file.write_text(json.dumps(candidates), encoding="utf-8")
        first, second, third, fourth, hidden = songs
        playlist_file, library_file = _export_from_real_shape(
            {"Morning": [first, second, hidden], "Evening": [second, third]},
            liked=[fourth, first],
        )
        env = spotify_env(tmp_path / "world", spotify)
        playlists = env.library / "Playlists"
        with canned_search_daemon(env, search_file) as daemon:
            daemon.wait_ready()
            if as_zip:
                buffer = io.BytesIO()
                with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                    archive.writestr("Spotify Account Data/Playlist1.json", playlist_file)
                    archive.writestr("Spotify Account Data/YourLibrary.json", library_file)
                    archive.writestr("Spotify Account Data/Userdata.json", b'{"username": "me"}')
                _drop_bytes(env, "my_spotify_data.zip", buffer.getvalue())
            else:
                _drop_bytes(env, "Playlist1.json", playlist_file)
                _drop_bytes(env, "YourLibrary.json", library_file)

            def listed(name: str) -> list[str]:
                path = playlists / f"{name}.m3u8"
                if not path.exists():
                    return []
                lines = path.read_text(encoding="utf-8").splitlines()
                return [line for line in lines if not line.startswith("#")]

            wait_for(
                lambda: (
                    env.counts().get("done", 0) == 5
                    and (len(listed("Morning")), len(listed("Evening")), len(listed("Liked Songs")))
                    == (3, 2, 2)
                ),
                120,
                daemon,
                what="five tracks filed and three playlists written",
            )
            daemon.stop()
        # One download each (yt-dlp asks twice per download): the songs in two lists (0, 1)
        # cost what the song in one (4) does.
        assert {audio.hits[f"/song{i}.m4a"] for i in range(5)} == {audio.hits["/song4.m4a"]}
        assert audio.hits["/song4.m4a"] <= 2, audio.hits
        assert not any(audio.hits[f"/live{i}.m4a"] for i in range(5))

    ledger = env.ledger()
    try:
        path_of = {}
        for song in songs:
            row = ledger.track(song["uri"])
            assert row is not None and row.path, song
            path_of[song["title"]] = "../" + row.path
        gem = ledger.track(hidden["uri"])
        assert gem is not None and (gem.meta.title, gem.meta.album) == ("Hidden Gem", "Rooms")
        first_row = ledger.track(first["uri"])
        assert first_row is not None and first_row.meta.isrc == "QZFAKE000000"  # from the API
    finally:
        ledger.close()
    assert len([p for p in env.library_files() if p.suffix == ".mp3"]) == 5
    assert listed("Morning") == [path_of[t] for t in ("First Light", "Second Wind", "Hidden Gem")]
    assert listed("Evening") == [path_of[t] for t in ("Second Wind", "Third Eye")]
    assert listed("Liked Songs") == [path_of[t] for t in ("Fourth Wall", "First Light")]
    name = "my_spotify_data.zip" if as_zip else "Playlist1.json"
    report = (env.inbox / "processed" / f"{name}.report.txt").read_text("utf-8")
    # Playlist1.json lists 4 tracks (a repeat once); the zip adds the liked song not in a list.
    assert report.count("done →") == (5 if as_zip else 4), report
    assert "complete" in report.splitlines()[0], report
