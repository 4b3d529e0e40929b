"""A follow's artwork, end to end with the daemon as a process: ``Playlists/NAME.jpg`` appears
beside ``NAME.m3u8`` (a PNG feed image becomes JPEG), an unchanged poll neither fetches nor
rewrites it, and new artwork at the source replaces it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.harness import Daemon, Env, wait_for
from tests.fakes.audio import make_audio
from tests.fakes.http_server import LoopbackServer
from tests.fakes.images import make_image

pytestmark = pytest.mark.timeout(240)

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel>
<title>Loopback Radio</title><link>http://127.0.0.1/</link><description>test feed</description>
<itunes:image href="{base}/cover.img"/>
<image><url>{base}/cover.img</url><title>Loopback Radio</title><link>http://127.0.0.1/</link></image>
{items}
</channel></rss>"""
ITEM = """<item><title>Episode {n}</title><guid isPermaLink="false">ep-{n}</guid>
<enclosure url="{base}/ep{n}.mp3" length="1000" type="audio/mpeg"/></item>"""


def _publish(server: LoopbackServer, episodes: list[int]) -> None:
    base = server.url("")
    items = "\n".join(ITEM.format(n=n, base=base) for n in episodes)
    server.add("/feed.xml", RSS.format(items=items, base=base).encode(), "application/rss+xml")


def test_follow_artwork_beside_the_playlist_and_replaced_when_it_changes(tmp_path: Path) -> None:
    env = Env(tmp_path / "world")
    png = make_image(tmp_path / "red.png", "red")
    blue = make_image(tmp_path / "blue.jpg", "blue")
    with LoopbackServer() as server:
        for n in (1, 2):
            make_audio(tmp_path / f"ep{n}.mp3", seconds=0.5, freq=300 + 100 * n)
            server.add(f"/ep{n}.mp3", (tmp_path / f"ep{n}.mp3").read_bytes(), "audio/mpeg")
        server.add("/cover.img", png, "image/png")
        _publish(server, [1])
        playlists = env.library / "Playlists"
        artwork, playlist = playlists / "radio.jpg", playlists / "radio.m3u8"

        with Daemon(env) as daemon:
            daemon.wait_ready()
            env.cli("follow", server.url("/feed.xml"), "--name", "radio", check=True)
            wait_for(lambda: playlist.exists() and playlist.read_text().count("#EXTINF") == 1, 60,
                     daemon, what="the playlist")  # fmt: skip
            wait_for(artwork.exists, 10, daemon, what="the artwork")
            first = artwork.read_bytes()
            assert first.startswith(b"\xff\xd8\xff") and first != png  # the PNG became a JPEG
            before = (artwork.stat().st_ino, artwork.stat().st_mtime_ns)
            cover_hits, feed_hits = server.hits["/cover.img"], server.hits["/feed.xml"]

            env.cli("sync", "radio", check=True)  # nothing changed at the source
            wait_for(lambda: server.hits["/feed.xml"] == feed_hits + 1, 30, daemon,
                     what="the unchanged poll")  # fmt: skip
            assert server.hits["/cover.img"] == cover_hits  # not fetched again
            assert (artwork.stat().st_ino, artwork.stat().st_mtime_ns) == before

            server.add("/cover.img", blue, "image/jpeg")  # new artwork, and a new episode
            _publish(server, [1, 2])
            env.cli("sync", "radio", check=True)
            wait_for(lambda: artwork.read_bytes() == blue, 60, daemon, what="the new artwork")
            wait_for(
                lambda: playlist.read_text().count("#EXTINF") == 2, 60, daemon, what="episode 2"
            )
            assert daemon.stop() < 10

    assert sorted(p.name for p in playlists.iterdir()) == ["radio.jpg", "radio.m3u8"]
    assert not list(env.library.rglob(".spotsyncd-*"))  # no temp file left by the atomic write
