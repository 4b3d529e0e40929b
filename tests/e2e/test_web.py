"""The web API inside the daemon as a real process: post links served from a loopback server,
follow /events until done, fetch the audio with a Range; and a taken port leaves the daemon up."""

from __future__ import annotations

import json
import socket
from typing import Any

import httpx
import pytest
import yaml

from tests.e2e.harness import Daemon, Env, wait_for
from tests.fakes.http_server import LoopbackServer
from tests.fakes.sse import SseClient

pytestmark = pytest.mark.timeout(180)


def web_env(env: Env, listen: str = "127.0.0.1:0") -> Env:
    """Turn the web on for this test's daemon (the harness leaves it off)."""
    config = yaml.safe_load(env.config_path.read_text(encoding="utf-8"))
    config["web"] = {"enabled": True, "listen": listen}
    env.config_path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return env


def web_url(env: Env, daemon: Daemon) -> str:
    def served() -> str | None:
        try:
            runtime = json.loads((env.state / "runtime.json").read_text())
        except (OSError, ValueError):
            return None
        web = runtime.get("web") or {}
        return str(web["url"]) if web.get("running") else None

    url: str = wait_for(served, 30, daemon, what="the web to be served")
    wait_for(lambda: _healthy(url), 30, daemon, what="/healthz to answer")
    return url


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/api/v1/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_links_to_done_over_http_with_events_and_ranges(
    env: Env, audio_server: LoopbackServer
) -> None:
    web_env(env)
    links = [audio_server.url("/mp3/tone.mp3"), audio_server.url("/flac/tone.flac")]
    with Daemon(env) as daemon:
        daemon.wait_ready()
        url = web_url(env, daemon)
        token = env.cli("web", "token", check=True).stdout.strip()
        auth = {"Authorization": f"Bearer {token}"}
        with SseClient(url, auth) as events:
            posted = httpx.post(f"{url}/api/v1/links", json={"links": links}, headers=auth)
            assert posted.status_code == 202, posted.text
            keys = {r["key"] for r in posted.json()["results"] if r["outcome"] == "queued"}
            assert len(keys) == 2
            done: dict[str, Any] = {}
            kinds: set[str] = set()
            while len(done) < 2:
                message = events.next(timeout=90)
                kinds.add(message.get("kind") or message["type"])
                if message.get("kind") == "failed":
                    raise AssertionError(f"a job failed: {message}\n{daemon.output()[-3000:]}")
                if message.get("kind") == "done" and message["key"] in keys:
                    done[message["key"]] = message
            assert {"queued", "started", "done"} <= kinds
        for key in keys:
            track = httpx.get(f"{url}/api/v1/tracks/{key}", headers=auth).json()
            assert track["state"] == "done" and track["audio_url"]
            filed = (env.library / track["path"]).read_bytes()
            part = httpx.get(url + track["audio_url"], headers={**auth, "Range": "bytes=10-1033"})
            assert part.status_code == 206 and part.content == filed[10:1034]
            assert part.headers["content-type"] == "audio/mpeg"
            assert part.headers["content-range"] == f"bytes 10-1033/{len(filed)}"
        daemon.stop()
    assert "Traceback" not in daemon.output()


def test_a_taken_port_leaves_the_daemon_working_and_says_why(env: Env) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        port = holder.getsockname()[1]
        web_env(env, f"127.0.0.1:{port}")
        with Daemon(env) as daemon:
            daemon.wait_ready()
            wait_for(lambda: "web: off" in daemon.output(), 20, daemon, what="the log to say so")
            status = env.cli("status").stdout
            assert f"web: off: 127.0.0.1:{port} is already in use" in status
            assert env.status()["web"]["running"] is False
            assert f"SPOTSYNCD_WEB_LISTEN=127.0.0.1:{port + 1}" in status
            assert str(env.config_path) in status  # where the key would go
            doctor = env.cli("doctor").stdout
            assert "already in use" in doctor
            link = env.cli("web", "--no-browser")
            assert link.returncode == 1 and "/login?code=" not in link.stdout
            assert "dashboard is off" in link.stderr
            env.drop("a.txt", ["https://example.invalid/x.mp3"])  # the daemon still works
            wait_for(lambda: env.counts().get("pending", 0) + env.counts().get("running", 0)
                     + env.counts().get("failed", 0) >= 1, 30, daemon, what="the link")  # fmt: skip
            daemon.stop()
