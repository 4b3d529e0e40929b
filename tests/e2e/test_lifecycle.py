"""The daemon as a service: sd_notify, signals, the single-instance lock, reload."""

from __future__ import annotations

import os
import signal
import socket
import time
from pathlib import Path

import pytest
import yaml

from tests.e2e.harness import Daemon, Env, wait_for
from tests.fakes.audio import make_audio
from tests.fakes.http_server import LoopbackServer

pytestmark = pytest.mark.timeout(120)
PODCASTS = Path(__file__).resolve().parents[2].parent / "shared" / "realworld" / "podcasts"


def _notify_socket(tmp_path: Path) -> tuple[socket.socket, str]:
    path = str(tmp_path / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(0.2)
    return sock, path


def _messages(sock: socket.socket) -> list[str]:
    out = []
    while True:
        try:
            out.append(sock.recv(4096).decode())
        except TimeoutError:
            return out


def test_sd_notify_ready_status_watchdog_stopping(tmp_path: Path) -> None:
    env = Env(tmp_path / "world")
    sock, path = _notify_socket(tmp_path)
    received: list[str] = []
    try:
        with Daemon(env, extra_env={"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "1000000"}) as daemon:
            wait_for(
                lambda: received.extend(_messages(sock)) or any("READY=1" in m for m in received),
                20,
                daemon,
                what="READY=1",
            )
            wait_for(
                lambda: (
                    received.extend(_messages(sock))
                    or sum("WATCHDOG=1" in m for m in received) >= 2
                ),
                10,
                daemon,
                what="watchdog pings",
            )
            daemon.stop(signal.SIGTERM)
        received.extend(_messages(sock))
    finally:
        sock.close()
    ready = next(m for m in received if "READY=1" in m)
    assert "STATUS=" in ready and "pending" in ready
    assert any(m.startswith("STOPPING=1") for m in received)
    # READY comes after the ledger is open and the inbox is watched: the dirs exist by then.
    assert (env.inbox / "processed").is_dir() and (env.state / "ledger.sqlite3").exists()


def test_second_instance_refused_and_sigterm_is_quick(tmp_path: Path) -> None:
    env = Env(tmp_path / "world")
    with Daemon(env) as daemon:
        daemon.wait_ready()
        second = env.cli("run", timeout=30)
        assert second.returncode == 3
        assert "already running" in second.stderr and str(daemon.proc.pid) in second.stderr
        assert "Traceback" not in second.stderr
        status = env.status()
        assert status["daemon"]["running"] and status["daemon"]["pid"] == daemon.proc.pid
        assert daemon.stop(signal.SIGTERM) < 10
    assert not env.status()["daemon"]["running"]


def test_sigterm_during_a_stalled_download_stops_within_10s(tmp_path: Path) -> None:
    env = Env(tmp_path / "world", download={"timeout_seconds": 60})
    with LoopbackServer() as server:
        path = make_audio(tmp_path / "slow.wav", seconds=20)
        url = server.add("/slow.wav", path.read_bytes(), "audio/wav")
        server.fail("/slow.wav", [("stall", 30), ("stall", 30)])
        with Daemon(env) as daemon:
            daemon.wait_ready()
            env.drop("slow.txt", [url])
            wait_for(lambda: env.counts().get("running") == 1, 20, daemon, what="job running")
            time.sleep(0.5)
            assert daemon.stop(signal.SIGTERM) < 10
        counts = env.counts()
        assert counts["running"] == 0 and counts["pending"] == 1  # resumes next start


def test_sigterm_during_a_stalled_follow_poll_stops_within_10s(tmp_path: Path) -> None:
    """A follow's poll waits on a feed that answers a quarter and then nothing for 60 s:
    SIGTERM still ends the daemon within 10 s (Python's exit would join the poll's thread),
    and the log's last line says how long the stop took."""
    body = (PODCASTS / "feedrs_bbc_in_our_time.xml").read_bytes()
    with LoopbackServer() as server:
        url = server.add("/feed.xml", body, "application/rss+xml")
        server.fail("/feed.xml", [("stall", 60)] * 3)
        env = Env(
            tmp_path / "world",
            network={"allow_private": True},
            download={"timeout_seconds": 60},  # the poll's read would wait 60 s
            follows=[{"url": url, "name": "slow-show"}],
        )
        with Daemon(env) as daemon:
            daemon.wait_ready()
            wait_for(lambda: server.hits["/feed.xml"] >= 1, 30, daemon, what="the feed's poll")
            time.sleep(0.5)
            stopped_in = daemon.stop(signal.SIGTERM)
            assert stopped_in < 10, daemon.output()[-2000:]
        assert "stopped in" in daemon.output().strip().splitlines()[-1]


def test_sighup_reloads_audio_options(tmp_path: Path) -> None:
    env = Env(tmp_path / "world")
    with LoopbackServer() as server:
        source = make_audio(
            tmp_path / "a.mp3", seconds=1.0, tags={"title": "Reloaded", "artist": "HUP"}
        )
        url = server.add("/a.mp3", source.read_bytes(), "audio/mpeg")
        with Daemon(env) as daemon:
            daemon.wait_ready()
            config = yaml.safe_load(env.config_path.read_text())
            config["audio"] = {"format": "flac"}
            env.config_path.write_text(yaml.safe_dump(config))
            os.kill(daemon.proc.pid, signal.SIGHUP)
            wait_for(
                lambda: "configuration reloaded (audio)" in daemon.output(),
                20,
                daemon,
                what="reload",
            )
            env.drop("one.txt", [url])
            wait_for(lambda: env.counts().get("done") == 1, 60, daemon, what="done")
            # A broken config on reload is refused; the daemon keeps running.
            env.config_path.write_text("audio:\n  format: wav\n")
            os.kill(daemon.proc.pid, signal.SIGHUP)
            wait_for(lambda: "reload refused" in daemon.output(), 20, daemon, what="refusal")
            assert daemon.proc.poll() is None
            daemon.stop()
    files = env.library_files()
    assert [f.suffix for f in files] == [".flac"]
