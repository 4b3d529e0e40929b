"""Media servers, end to end with the daemon as a process and loopback stand-ins for Navidrome,
Jellyfin and Plex that record requests: a 30-track batch is exactly one scan request per
server; a server answering 500 and one refusing connections leave every track done and one log
line each; credentials appear in no log, no ``config show``, no ``doctor`` output."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from tests.e2e.harness import Daemon, Env, wait_for
from tests.fakes.audio import make_audio
from tests.fakes.http_server import LoopbackServer
from tests.fakes.media_servers import FakeJellyfin, FakeNavidrome, FakePlex

pytestmark = pytest.mark.timeout(240)

DEBOUNCE_S = 8  # longer than any gap between two finished tracks, even on a busy machine
SECRETS = ("nd-pass-e2e", "jf-key-e2e", "px-token-e2e", "jf-key-broken", "nd-pass-gone")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _lines_about(text: str, label: str) -> list[str]:
    return [line for line in text.splitlines() if label in line and "WARNING" in line]


def _timeline(output: str) -> str:
    """When tracks finished and servers were asked (to tell a busy machine from a bug)."""
    keep = (": done ", "scan started", "refresh of")
    return "\n".join(line for line in output.splitlines() if any(k in line for k in keep))


def test_batch_is_one_scan_per_server_and_failures_cost_one_line(tmp_path: Path) -> None:
    make_audio(tmp_path / "tone.mp3", seconds=0.5)
    tone = (tmp_path / "tone.mp3").read_bytes()
    world = tmp_path / "world"
    library = world / "library"
    with (
        LoopbackServer() as audio,
        FakeNavidrome("admin", "nd-pass-e2e") as navidrome,
        FakeJellyfin("jf-key-e2e", [str(world)]) as jellyfin,
        FakePlex("px-token-e2e", [("2", "artist", "Music", [str(library)])]) as plex,
        FakeJellyfin("jf-key-broken", [str(world)]) as broken,
    ):
        broken.fail_with = 500
        gone = f"http://127.0.0.1:{_free_port()}"  # nothing listens there
        links = []
        for n in range(32):
            links.append(audio.add(f"/batch/track{n:02d}.mp3", tone, "audio/mpeg"))
        env = Env(
            world,
            audio={"format": "original", "normalize": "off", "trim_silence": False},
            media_servers_debounce=DEBOUNCE_S,
            media_servers=[
                {"type": "navidrome", "url": navidrome.url, "user": "admin",
                 "password": "nd-pass-e2e"},
                {"type": "jellyfin", "url": jellyfin.url, "api_key": "jf-key-e2e"},
                {"type": "plex", "url": plex.url, "token": "px-token-e2e"},
                {"type": "jellyfin", "url": broken.url, "api_key": "jf-key-broken",
                 "name": "broken"},
                {"type": "navidrome", "url": gone, "user": "admin", "password": "nd-pass-gone",
                 "name": "gone"},
            ],
        )  # fmt: skip
        healthy = (navidrome, jellyfin, plex)
        with Daemon(env) as daemon:
            daemon.wait_ready()
            env.drop("batch.txt", links[:30])
            wait_for(lambda: env.counts().get("done") == 30, 150, daemon, what="30 tracks done")
            wait_for(lambda: all(s.scans == 1 for s in healthy), DEBOUNCE_S + 20, daemon,
                     what="one scan per server")  # fmt: skip
            assert plex.refresh_paths() == [str(library)]
            time.sleep(DEBOUNCE_S + 2)
            # one per server, not one per track
            assert [s.scans for s in healthy] == [1, 1, 1], _timeline(daemon.output())
            assert broken.scans == 1  # it was asked once too, and answered 500

            env.drop("more.txt", links[30:])  # the next change: everyone asked again
            wait_for(lambda: all(s.scans == 2 for s in healthy), DEBOUNCE_S + 60, daemon,
                     what="second batch announced")  # fmt: skip
            wait_for(lambda: broken.scans == 2, 10, daemon, what="the broken one retried")
            assert daemon.stop() < 10
        output = daemon.output()

        assert env.counts() == {
            "pending": 0,
            "waiting": 0,
            "running": 0,
            "done": 32,
            "failed": 0,
            "review": 0,
            "skipped": 0,
        }
        broken_lines = _lines_about(output, "jellyfin 'broken'")
        gone_lines = _lines_about(output, "navidrome 'gone'")
        assert len(broken_lines) == 1 and "HTTP 500" in broken_lines[0], broken_lines
        assert len(gone_lines) == 1 and "Connection refused" in gone_lines[0], gone_lines

        shown = env.cli("config", "show")
        doctor = env.cli("doctor")
        test = env.cli("media-servers", "test")
        log_file = (env.state / "logs" / "spotsyncd.log").read_text(encoding="utf-8")
        for secret in SECRETS:
            for text in (output, log_file, shown.stdout, shown.stderr, doctor.stdout, test.stdout):
                assert secret not in text
        assert shown.stdout.count("'***'") + shown.stdout.count(": '***'") >= 1
        assert shown.stdout.count("***") == 5

        assert doctor.returncode == 1  # the two broken servers fail the check
        assert "[ok  ] media server jellyfin http://127.0.0.1" in doctor.stdout
        assert "credentials accepted" in doctor.stdout and "API key accepted" in doctor.stdout
        assert f"section 'Music' (key 2) scans {library}" in doctor.stdout
        assert "[FAIL] media server jellyfin 'broken'" in doctor.stdout
        assert "Connection refused" in doctor.stdout and "fix: start the server" in doctor.stdout

        assert test.returncode == 1
        assert [s.scans for s in healthy] == [3, 3, 3]  # media-servers test asked each once
        assert test.stdout.count("[ok  ]") == 3 and test.stdout.count("[FAIL]") == 2


RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Loopback Radio</title><link>http://127.0.0.1/</link>
<description>test feed</description><item><title>Episode 1</title><guid>ep-1</guid>
<enclosure url="{base}/ep1.mp3" length="1000" type="audio/mpeg"/></item></channel></rss>"""


def test_sync_once_tells_the_servers_before_it_exits(tmp_path: Path) -> None:
    """A cron-driven ``sync --once`` ends long before a quiet period: it asks at its end."""
    make_audio(tmp_path / "ep1.mp3", seconds=0.5)
    with LoopbackServer() as feed, FakeNavidrome("admin", "nd-pass-once") as navidrome:
        feed.add("/ep1.mp3", (tmp_path / "ep1.mp3").read_bytes(), "audio/mpeg")
        feed.add("/feed.xml", RSS.format(base=feed.url("")).encode(), "application/rss+xml")
        env = Env(
            tmp_path / "world",
            media_servers_debounce=3600,
            media_servers=[{"type": "navidrome", "url": navidrome.url, "user": "admin",
                            "password": "nd-pass-once"}],
        )  # fmt: skip
        env.drop("follow.txt", [f"follow {feed.url('/feed.xml')}"])
        result = env.cli("sync", "--once", timeout=150)
        assert result.returncode == 0, result.stderr
        assert env.counts().get("done") == 1
        assert navidrome.scans == 1  # the track and the new playlist: one scan, at the end
        assert "nd-pass-once" not in result.stderr + result.stdout
