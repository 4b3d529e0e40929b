"""A daemon with a small filed library for the dashboard's browser tests: four songs found by
searching (canned results, scored by the real matcher), audio and cover art served from
loopback, so each filed file carries its album, artist and an embedded cover; a loopback
"source" host named in ``network.check_urls`` that a test can take away; and a logged-in
browser session. ``shelf_world``: a daemon whose library holds more albums than one page of
the dashboard (filed into its ledger before it starts)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spotsyncd.core.models import TrackMeta
from tests.e2e.harness import Daemon, Env, canned_search_daemon, wait_for
from tests.e2e.test_web import web_env, web_url
from tests.fakes.audio import make_audio
from tests.fakes.filed import file_track
from tests.fakes.http_server import LoopbackServer
from tests.fakes.images import make_image

# (artist, title, album, cover colour)
SONGS = [
    ("Neon Coast", "First Light", "Night Drive", "red"),
    ("Neon Coast", "Second Wind", "Night Drive", "red"),
    ("Marrow Hill", "Glass Rivers", "Estuary", "blue"),
    ("June Vale", "Northern Kites", "Paper Sky", "green"),
]


@dataclass
class World:
    env: Env
    daemon: Daemon
    url: str
    media: LoopbackServer  # audio and covers
    source: LoopbackServer  # the host the offline check probes; a test may take it away
    token: str

    def login_link(self) -> str:
        return self.env.cli("web", "--no-browser", check=True).stdout.strip()

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@contextmanager
def dashboard_world(root: Path) -> Iterator[World]:
    root.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        media = stack.enter_context(LoopbackServer())
        source = stack.enter_context(LoopbackServer())
        source.add("/", b"ok", "text/plain")
        candidates: list[dict[str, Any]] = []
        for index, (artist, title, album, colour) in enumerate(SONGS):
            tone = make_audio(root / f"song{index}.m4a", seconds=20.0, freq=300 + 90 * index)
            cover = make_image(root / f"cover{index}.jpg", colour, size=96)
            candidates.append({
                "video_id": f"song{index:07d}A",
                "title": title,
                "artists": [artist],
                "album": album,
                "duration_s": 20.0,
                "kind": "song",
                "url": media.add(f"/song{index}.m4a", tone.read_bytes(), "audio/mp4"),
                "cover_url": media.add(f"/cover{index}.jpg", cover, "image/jpeg"),
            })  # fmt: skip
        search_file = root / "search.json"
        search_file.write_text(json.dumps(candidates), encoding="utf-8")
        env = Env(
            root / "world",
            network={"check_urls": [source.url("/")], "probe_every": "1s"},
            matching={"youtube_fallback": False},
        )
        web_env(env)
        daemon = stack.enter_context(canned_search_daemon(env, search_file))
        daemon.wait_ready()
        url = web_url(env, daemon)
        token = env.cli("web", "token", check=True).stdout.strip()
        env.drop("songs.txt", [f"{artist} - {title}" for artist, title, _, _ in SONGS])
        wait_for(lambda: env.counts().get("done") == len(SONGS), 120, daemon,
                 what="the songs to be filed")  # fmt: skip
        yield World(env, daemon, url, media, source, token)
        daemon.stop()


def shelf_albums(count: int, tie_at: int) -> list[tuple[str, str]]:
    """``count`` (artist, album) pairs, one track each, sorted by album as the library sorts
    them; the albums at ``tie_at - 1`` and ``tie_at`` share a name (two artists), so a page
    boundary there must keep both."""
    names = [f"Album {n:03d}" for n in range(1, count)]
    names.insert(tie_at, names[tie_at - 1])
    return [(f"Artist {n:03d}", name) for n, name in enumerate(names)]


@contextmanager
def shelf_world(root: Path, albums: list[tuple[str, str]]) -> Iterator[World]:
    """A daemon whose library already holds ``albums`` when it starts (filed straight into
    its ledger, one small tagged file each, no covers: the placeholder stands in)."""
    root.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        media = stack.enter_context(LoopbackServer())
        source = stack.enter_context(LoopbackServer())
        source.add("/", b"ok", "text/plain")
        env = Env(root / "world", network={"check_urls": [source.url("/")], "probe_every": "1s"})
        web_env(env)
        tone = make_audio(root / "tone.mp3", seconds=0.5)
        ledger = env.ledger()
        try:
            for n, (artist, album) in enumerate(albums):
                meta = TrackMeta(title=f"Song {n}", artists=(artist,), album=album)
                file_track(ledger, env.library, n, f"{artist}/{album}/{n}.mp3", meta,
                           seconds=0.5, audio=tone)  # fmt: skip
        finally:
            ledger.close()
        daemon = stack.enter_context(Daemon(env))
        daemon.wait_ready()
        url = web_url(env, daemon)
        token = env.cli("web", "token", check=True).stdout.strip()
        yield World(env, daemon, url, media, source, token)
        daemon.stop()
