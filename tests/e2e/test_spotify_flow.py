"""A Spotify playlist link in an inbox file, end to end: metadata from a loopback fake of the
Web API, matching over canned search results (with decoys), audio from loopback, tags from
Spotify. The daemon is a real process."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from mutagen.id3 import ID3

from tests.e2e.harness import Daemon, canned_search_daemon, spotify_env, wait_for
from tests.fakes.audio import make_audio
from tests.fakes.http_server import LoopbackServer
from tests.fakes.spotify_api import FakeSpotify

pytestmark = pytest.mark.timeout(180)
PLAYLIST = "5pLAYL1sTf0rTe5tS0000a"


def test_spotify_playlist_to_tagged_files(tmp_path: Path) -> None:
    with FakeSpotify() as spotify, LoopbackServer() as audio:
        spotify.local_images = True
        ids = spotify.add_album(
            "4LBUMf0rTe5tS000000000",
            "Night Drive",
            ["Neon Coast"],
            ["First Light", "Second Wind", "Third Eye", "Lost Song"],
        )
        spotify.add_playlist(PLAYLIST, ids)
        candidates = []
        for index, title in enumerate(["First Light", "Second Wind", "Third Eye"]):
            make_audio(tmp_path / f"{index}.m4a", seconds=2.0, freq=300 + 100 * index)
            url = audio.add(
                f"/song{index}.m4a", (tmp_path / f"{index}.m4a").read_bytes(), "audio/mp4"
            )
            decoy = audio.add(
                f"/live{index}.m4a", (tmp_path / f"{index}.m4a").read_bytes(), "audio/mp4"
            )
            candidates += [
                {
                    "video_id": f"live{index:08d}",
                    "title": f"{title} (Live at Wembley)",
                    "artists": ["Neon Coast"],
                    "duration_s": 180 + index + 30,
                    "kind": "video",
                    "url": decoy,
                },
                {
                    "video_id": f"song{index:08d}",
                    "title": title,
                    "artists": ["Neon Coast"],
                    "album": "Night Drive",
                    "duration_s": 180 + index,
                    "kind": "song",
                    "url": url,
                },
                {
                    "video_id": f"cover{index:07d}",
                    "title": f"{title} (Cover)",
                    "artists": ["Someone Else"],
                    "duration_s": 180 + index,
                    "kind": "video",
                    "url": decoy,
                },
            ]
        search_file = tmp_path / "candidates.json"
        search_file.write_text(json.dumps(candidates), encoding="utf-8")

        env = spotify_env(tmp_path / "world", spotify)
        with canned_search_daemon(env, search_file) as daemon:
            daemon.wait_ready()
            env.drop("spotify.txt", [f"https://open.spotify.com/intl-de/playlist/{PLAYLIST}?si=x"])
            wait_for(
                lambda: (
                    env.counts().get("done", 0) + env.counts().get("failed", 0) == 5
                    and not env.counts().get("pending")
                ),
                120,
                daemon,
                what="playlist done",
            )
            daemon.stop()
        assert audio.hits["/live0.m4a"] == 0 and audio.hits["/live1.m4a"] == 0

    counts = env.counts()
    assert counts["done"] == 4 and counts["failed"] == 1  # playlist + 3 tracks; 1 unmatched
    ledger = env.ledger()
    try:
        lost = ledger.track(f"spotify:track:{ids[3]}")
        assert lost is not None and lost.error_class == "no_confident_match"
        first = ledger.track(f"spotify:track:{ids[0]}")
        assert first is not None and first.path
    finally:
        ledger.close()

    path = env.library / first.path
    assert path.parts[-3:] == ("Neon Coast", "Night Drive", "01 - First Light.mp3")
    tags = ID3(path)
    assert str(tags["TIT2"]) == "First Light" and str(tags["TALB"]) == "Night Drive"
    assert str(tags["TPE1"]) == "Neon Coast" and str(tags["TRCK"]) == "1/4"
    assert str(tags["TSRC"]) == "QZFAKE000000"
    assert tags.getall("APIC") and tags.getall("APIC")[0].data[:3] == b"\xff\xd8\xff"
    assert f"open.spotify.com/track/{ids[0]}" in str(tags.getall("WOAS")[0].url)

    why = env.cli("why", f"spotify:track:{ids[3]}", check=False)
    assert "no confident match" in why.stdout and "candidates" in why.stdout
    assert "0." in why.stdout  # scores are shown


def test_manual_match_and_override_lines(tmp_path: Path) -> None:
    with FakeSpotify() as spotify, LoopbackServer() as audio:
        ids = spotify.add_album(
            "4LBUMf0rTe5tS000000000", "Night Drive", ["Neon Coast"], ["Lost Song", "Hidden Track"]
        )
        make_audio(tmp_path / "a.m4a", seconds=1.0)
        url_a = audio.add("/a.m4a", (tmp_path / "a.m4a").read_bytes(), "audio/mp4")
        url_b = audio.add("/b.m4a", (tmp_path / "a.m4a").read_bytes(), "audio/mp4")
        search_file = tmp_path / "candidates.json"
        search_file.write_text("[]", encoding="utf-8")
        env = spotify_env(tmp_path / "world", spotify)
        with canned_search_daemon(env, search_file) as daemon:
            daemon.wait_ready()
            env.drop(
                "pick.txt",
                [
                    f"{url_b} | https://open.spotify.com/track/{ids[1]}",
                    f"https://open.spotify.com/track/{ids[0]}",
                ],
            )
            wait_for(
                lambda: env.counts().get("done") == 1 and env.counts().get("failed") == 1,
                60,
                daemon,
                what="override done, search failed",
            )
            result = env.cli("match", f"https://open.spotify.com/track/{ids[0]}", url_a)
            assert result.returncode == 0, result.stderr
            wait_for(lambda: env.counts().get("done") == 2, 60, daemon, what="manual match")
            first_choice = env.library_files()
            # Matching a done track again replaces its file (the wrong-song fix).
            hits_b = audio.hits["/b.m4a"]
            result = env.cli("match", f"spotify:track:{ids[0]}", url_b)
            assert result.returncode == 0, result.stderr
            wait_for(lambda: audio.hits["/b.m4a"] > hits_b and env.counts().get("done") == 2,
                     60, daemon, what="second manual match")  # fmt: skip
            daemon.stop()
        assert audio.hits["/a.m4a"] >= 1
    assert env.library_files() == first_choice  # same names: replaced in place, no "(2)"
    titles = sorted(str(ID3(p)["TIT2"]) for p in env.library_files())
    assert titles == ["Hidden Track", "Lost Song"]  # Spotify's metadata, chosen audio
    ledger = env.ledger()
    try:
        track = ledger.track(f"spotify:track:{ids[0]}")
        assert track is not None and track.override_url == url_b and not track.replaces_path
        assert any(e["kind"] == "requeued" and url_b in e["message"]
                   for e in ledger.events_for(track.id))  # fmt: skip
    finally:
        ledger.close()


def test_spotify_429_for_a_day_defers_spotify_only(tmp_path: Path) -> None:
    with FakeSpotify() as spotify, LoopbackServer() as audio:
        ids = spotify.add_album(
            "4LBUMf0rTe5tS000000000", "Night Drive", ["Neon Coast"], ["First Light"]
        )
        spotify.add_playlist(PLAYLIST, ids)
        spotify.fault(f"/v1/playlists/{PLAYLIST}", 429, retry_after="86400", times=5)
        spotify.fault(f"/v1/playlists/{PLAYLIST}/items", 429, retry_after="86400", times=5)
        make_audio(tmp_path / "direct.mp3", seconds=1.0)
        direct = audio.add("/direct.mp3", (tmp_path / "direct.mp3").read_bytes(), "audio/mpeg")
        env = spotify_env(tmp_path / "world", spotify)
        with Daemon(env) as daemon:
            daemon.wait_ready()
            env.drop("mixed.txt", [f"https://open.spotify.com/playlist/{PLAYLIST}", direct])
            wait_for(lambda: env.counts().get("done") == 1, 60, daemon, what="direct link done")
            status = env.status()
            assert status["circuits"]["spotify"]["open"]
            assert status["circuits"]["spotify"]["open_until"] > time.time() + 86000
            assert status["jobs"]["pending"] == 1 and status["jobs"]["failed"] == 0
            assert daemon.stop() < 10
