"""Following a podcast feed, end to end with the daemon as a process: the first poll downloads
all, new items at the source download exactly those, a removed item is recorded as absent with
its file kept and the playlist updated, and a restart loses and re-downloads nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.harness import Daemon, Env, wait_for
from tests.fakes.audio import make_audio
from tests.fakes.http_server import LoopbackServer

pytestmark = pytest.mark.timeout(240)

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Loopback Radio</title><link>http://127.0.0.1/</link>
<description>test feed</description>
{items}
</channel></rss>"""
ITEM = """<item><title>Episode {n}</title><guid isPermaLink="false">ep-{n}</guid>
<enclosure url="{base}/ep{n}.mp3" length="1000" type="audio/mpeg"/></item>"""


def _publish(server: LoopbackServer, episodes: list[int]) -> None:
    items = "\n".join(ITEM.format(n=n, base=server.url("")) for n in episodes)
    server.add("/feed.xml", RSS.format(items=items).encode(), "application/rss+xml")


def _follow(env: Env) -> dict[str, object]:
    rows = json.loads(env.cli("follows", "--json", check=True).stdout)
    return next(r for r in rows if r["name"] == "radio")


def _audio_hits(server: LoopbackServer) -> dict[str, int]:
    return {p: n for p, n in server.hits.items() if p.endswith(".mp3")}


def test_follow_feed_new_removed_restart(tmp_path: Path) -> None:
    env = Env(tmp_path / "world")
    with LoopbackServer() as server:
        for n in range(1, 6):
            make_audio(
                tmp_path / f"ep{n}.mp3",
                seconds=1.0,
                freq=200 + 50 * n,
                tags={"title": f"Episode {n}", "artist": "Loopback Radio"},
            )
            server.add(f"/ep{n}.mp3", (tmp_path / f"ep{n}.mp3").read_bytes(), "audio/mpeg")
        _publish(server, [1, 2, 3])
        feed = server.url("/feed.xml")

        with Daemon(env) as daemon:
            daemon.wait_ready()
            env.cli("follow", feed, "--name", "radio", "--every", "6h", check=True)
            wait_for(lambda: env.counts().get("done") == 3, 60, daemon, what="first poll done")
            first_hits = _audio_hits(server)

            _publish(server, [1, 2, 3, 4, 5])
            env.cli("sync", "radio", check=True)
            wait_for(lambda: env.counts().get("done") == 5, 60, daemon, what="two new done")
            hits = _audio_hits(server)
            assert {p: hits[p] for p in first_hits} == first_hits  # old ones not fetched again
            assert hits.get("/ep4.mp3") and hits.get("/ep5.mp3")
            daemon.stop()

        playlist = env.library / "Playlists" / "radio.m3u8"
        wait_for(lambda: playlist.exists() and playlist.read_text().count("#EXTINF") == 5, 10)

        with Daemon(env) as daemon:  # restart between polls
            daemon.wait_ready()
            feed_hits = server.hits["/feed.xml"]
            env.cli("sync", "radio", check=True)  # unchanged: one request, nothing new
            wait_for(
                lambda: server.hits["/feed.xml"] == feed_hits + 1, 30, daemon, what="unchanged poll"
            )
            _publish(server, [1, 2, 4, 5])
            env.cli("sync", "radio", check=True)
            wait_for(
                lambda: _follow(env)["tracks"]["absent"] == 1,
                30,
                daemon,  # type: ignore[index]
                what="episode 3 absent",
            )
            wait_for(
                lambda: playlist.read_text().count("#EXTINF") == 4,
                15,
                daemon,
                what="playlist updated",
            )
            daemon.stop()
        assert _audio_hits(server) == hits  # the restart re-downloaded nothing

    assert len(env.library_files()) == 6  # 5 episodes (the removed one kept) + the playlist
    text = playlist.read_text(encoding="utf-8")
    assert text.startswith("#EXTM3U") and "Episode 3" not in text
    assert "../" in text and "\\" not in text  # relative to the Playlists folder
    follow = _follow(env)
    assert follow["tracks"] == {"known": 4, "done": 4, "failed": 0, "absent": 1}


def test_follow_line_in_a_link_file_and_sync_once_without_daemon(tmp_path: Path) -> None:
    env = Env(tmp_path / "world")
    with LoopbackServer() as server:
        make_audio(tmp_path / "ep1.mp3", seconds=1.0)
        server.add("/ep1.mp3", (tmp_path / "ep1.mp3").read_bytes(), "audio/mpeg")
        _publish(server, [1])
        env.drop("follow.txt", [f"follow {server.url('/feed.xml')}"])
        result = env.cli("sync", "--once", timeout=120)
        assert result.returncode == 0, result.stderr
    assert env.counts().get("done") == 1  # the feed is a follow, its episode a track
    rows = json.loads(env.cli("follows", "--json", check=True).stdout)
    assert len(rows) == 1 and rows[0]["origin"] == "inbox"
    report = (env.inbox / "processed" / "follow.txt.report.txt").read_text(encoding="utf-8")
    assert "following as" in report
    assert (env.library / "Playlists" / f"{rows[0]['name']}.m3u8").exists()
