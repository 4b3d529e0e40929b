"""Secrets never leak: the client secret, Spotify tokens and cookie values appear in no log line,
no CLI output, no report and no ledger column; the token file is 0600; ``doctor`` warns about a
world-readable config holding the client secret. The daemon and CLI run as real processes
against a loopback fake of Spotify."""

from __future__ import annotations

import base64
import json
import os
import socket
import stat
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.e2e.harness import Env, canned_search_daemon, cli_command, spotify_env, wait_for
from tests.fakes.audio import make_audio
from tests.fakes.http_server import LoopbackServer
from tests.fakes.spotify_api import FakeSpotify

pytestmark = pytest.mark.timeout(180)

SECRET = "S3CRET-do-not-log-1234"
COOKIE = "C00KIE-do-not-log-5678"
ALBUM = "4LBUMs3cr3tT3st0000000"
MISSING = "N0SUCHTRACKs3cr3t00000"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _login(env: Env) -> None:
    """``spotsyncd auth spotify --no-browser``, with this test clicking "Agree" on the fake."""
    proc = subprocess.Popen(
        [*cli_command(), "auth", "spotify", "--no-browser", "--timeout", "30"],
        env=env.environ(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        seen = []
        for line in proc.stdout:
            seen.append(line)
            if line.startswith("http://127.0.0.1") and "/authorize?" in line:
                deadline = time.monotonic() + 10
                while True:  # the callback listener may open a moment after the URL is shown
                    try:
                        urllib.request.urlopen(line.strip(), timeout=10).read()
                        break
                    except OSError:
                        if time.monotonic() > deadline:
                            raise
                        time.sleep(0.1)
                break
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
    assert proc.returncode == 0, "".join(seen) + out


def test_secrets_never_leak(tmp_path: Path) -> None:
    with FakeSpotify() as spotify, LoopbackServer() as audio:
        spotify.client_secret = SECRET  # type: ignore[misc]
        ids = spotify.add_album(ALBUM, "Quiet Album", ["Hush"], ["Whisper"])
        make_audio(tmp_path / "whisper.m4a", seconds=1.5, freq=500)
        song = audio.add("/whisper.m4a", (tmp_path / "whisper.m4a").read_bytes(), "audio/mp4")
        candidates = [
            {
                "video_id": "whisper0001",
                "title": "Whisper",
                "artists": ["Hush"],
                "album": "Quiet Album",
                "duration_s": 180,
                "kind": "song",
                "url": song,
            }
        ]
        search_file = tmp_path / "candidates.json"
        search_file.write_text(json.dumps(candidates), encoding="utf-8")
        cookies = tmp_path / "cookies.txt"
        cookies.write_text(
            "# Netscape HTTP Cookie File\n"
            f".youtube.com\tTRUE\t/\tTRUE\t2147483647\tSID\t{COOKIE}\n"
            f"127.0.0.1\tFALSE\t/\tFALSE\t2147483647\tsession\t{COOKIE}\n",
            encoding="utf-8",
        )
        cookies.chmod(0o600)
        env = spotify_env(
            tmp_path / "world",
            spotify,
            spotify={"client_secret": SECRET, "redirect_port": _free_port()},
            download={"cookies_file": str(cookies)},
        )
        env.config_path.chmod(0o600)

        _login(env)
        token_file = env.state / "spotify-token.json"
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600

        links = [
            f"https://open.spotify.com/track/{ids[0]}",
            f"https://open.spotify.com/track/{MISSING}",
            audio.url("/gone.mp3"),
        ]
        with canned_search_daemon(env, search_file) as daemon:
            daemon.wait_ready()
            env.drop("mix.txt", links)

            def ended() -> bool:
                counts = env.counts()
                finished = counts.get("done", 0) + counts.get("failed", 0) == 3
                return finished and not counts.get("pending") and not counts.get("running")

            wait_for(ended, 90, daemon, what="the three links to end")
            outputs = {
                "status": env.cli("status", "--json", check=True).stdout,
                "config show": env.cli("config", "show", check=True).stdout,
                "report": env.cli("report", "--json", check=True).stdout,
                "tracks": env.cli("tracks", "--json", check=True).stdout,
                "doctor": env.cli("doctor").stdout,
            }
            for index, link in enumerate(links):
                outputs[f"why {index}"] = env.cli("why", link, "--json", check=True).stdout
            wait_for(
                lambda: "complete" in _read(env.inbox / "processed" / "mix.txt.report.txt"),
                20,
                daemon,
                what="the report to complete",
            )
            daemon.stop()
        tokens = set(spotify.access_tokens) | set(spotify.refresh_tokens)
        assert spotify.access_tokens and spotify.refresh_tokens  # the login really happened

    counts = env.counts()
    assert counts == {**counts, "done": 1, "failed": 2}, counts
    assert "***" in outputs["config show"]

    texts = dict(outputs)
    texts["daemon stdout+stderr"] = daemon.output()
    for log in (env.state / "logs").glob("spotsyncd.log*"):
        texts[str(log)] = log.read_text(encoding="utf-8", errors="replace")
    for report in (env.inbox / "processed").iterdir():
        texts[str(report)] = report.read_text(encoding="utf-8", errors="replace")
    assert any("spotsyncd.log" in name for name in texts)
    blobs = {name: text.encode() for name, text in texts.items()}
    for db in env.state.glob("ledger.sqlite3*"):
        blobs[str(db)] = db.read_bytes()
    for cache in env.state.glob("*.json"):
        if cache.name != "spotify-token.json":  # the one place the tokens belong
            blobs[str(cache)] = cache.read_bytes()

    basic = base64.b64encode(f"{spotify.client_id}:{SECRET}".encode()).decode()
    for value in (SECRET, COOKIE, basic, *tokens):
        for name, blob in blobs.items():
            assert value.encode() not in blob, f"{value[:6]}… leaked into {name}"
    # The redaction is not hiding a run that did nothing.
    assert "Whisper" in outputs["why 0"] and "404" in texts["daemon stdout+stderr"]

    # doctor: a world-readable config holding the secret is a warning naming the file.
    env.config_path.chmod(0o644)
    loose = env.cli("doctor")
    warned = [line for line in loose.stdout.splitlines() if str(env.config_path) in line]
    assert any("WARN" in line.upper() and "readable" in line for line in warned), loose.stdout
    env.config_path.chmod(0o600)
    tight = env.cli("doctor")
    assert not any(
        "readable by others" in line and str(env.config_path) in line
        for line in tight.stdout.splitlines()
    ), tight.stdout
    assert os.stat(token_file).st_mode & 0o077 == 0


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.exists() else ""
