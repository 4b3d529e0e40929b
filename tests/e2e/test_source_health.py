"""Source health with the daemon as a real process: its first round finds the site the user
downloads from working; when the site stops answering, the canary turns failing and one
notification says so (Apprise json:// to a loopback receiver), however many checks fail; when
it answers again, one more says it recovered. ``status`` and the API show the table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.harness import Daemon, Env, wait_for
from tests.fakes.audio import make_audio
from tests.fakes.http_server import LoopbackServer

pytestmark = pytest.mark.timeout(240)

TOKEN = "notifyToken0123456789"


def _notes(receiver: LoopbackServer) -> list[dict[str, object]]:
    return [json.loads(body) for body in receiver.bodies[f"/notify/{TOKEN}"]]


def _rows(env: Env) -> list[dict[str, object]]:
    ledger = env.ledger()
    try:
        return ledger.health_rows()
    finally:
        ledger.close()


def test_a_source_turns_failing_and_recovers_one_notification_each(tmp_path: Path) -> None:
    audio = make_audio(tmp_path / "tone.wav", seconds=1.0).read_bytes()
    with LoopbackServer() as media, LoopbackServer() as receiver:
        url = media.add("/track/1.wav", audio, "audio/wav")
        receiver.add(f"/notify/{TOKEN}", b"ok")
        env = Env(
            tmp_path / "world",
            network={"check_urls": [media.url("/")]},
            notify={
                "urls": [f"json://bot:{TOKEN}@127.0.0.1:{receiver.port}/notify/{TOKEN}"],
                "on": ["sources", "failed"],
                "batch_seconds": "1s",
            },
            sources={"first_check_after": "2s"},
            extractors={"auto_update": "false"},
        )
        env.cli("get", url, check=True, timeout=120)  # something this user downloads
        with Daemon(env) as daemon:
            daemon.wait_ready()
            # The daemon's own first round: the site of the recent download works.
            rows = wait_for(lambda: _rows(env), 60, daemon, what="the first canary round")
            assert [(r["name"], r["state"]) for r in rows] == [("127.0.0.1", "ok")]

            media.remove("/track/1.wav")  # the site stops serving what it served
            for _ in range(2):  # two failed checks, one notification
                checked = env.cli("doctor", "--sources", timeout=180)
                assert "source 127.0.0.1: failing since" in checked.stdout, checked.stdout
            notes = wait_for(lambda: _notes(receiver), 30, daemon, what="the failing notice")
            status = env.cli("status", check=True).stdout
            assert "source 127.0.0.1: FAILING since" in status and "404" in status

            media.add("/track/1.wav", audio, "audio/wav")
            checked = env.cli("doctor", "--sources", timeout=180)
            assert "[ok  ] source 127.0.0.1: its canary passed" in checked.stdout, checked.stdout
            wait_for(lambda: len(_notes(receiver)) >= 2, 30, daemon, what="the recovered notice")
            data = env.status()
            daemon.stop()
    notes = _notes(receiver)
    assert [n["title"] for n in notes] == [
        "spotsyncd: a source is failing",
        "spotsyncd: a source works again",
    ]
    assert "127.0.0.1: failing since" in str(notes[0]["message"])
    assert "update yt-dlp" in str(notes[0]["message"])  # the suggested fix goes with it
    assert data["sources"][0]["name"] == "127.0.0.1" and data["sources"][0]["state"] == "ok"
    assert data["yt_dlp"]["where"] == "installed" and data["yt_dlp"]["version"]
    assert "Traceback" not in daemon.output()
