"""``spotsyncd doctor`` on a real set-up, and the ledger ↔ disk consistency check."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.harness import Daemon, Env, wait_for
from tests.fakes.audio import make_audio
from tests.fakes.http_server import LoopbackServer

pytestmark = pytest.mark.timeout(120)


def test_doctor_reports_each_part(tmp_path: Path) -> None:
    env = Env(tmp_path / "world")
    result = env.cli("doctor")
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    for part in (
        "config",
        "directories",
        "ffmpeg",
        "yt-dlp",
        "javascript runtime",
        "spotify",
        "ledger",
        "library files",
        "service",
    ):
        assert f"] {part}:" in out, (part, out)
    assert "MP3 encoder present" in out and "integrity ok" in out
    checks = json.loads(env.cli("doctor", "--json").stdout)
    assert {c["status"] for c in checks} <= {"ok", "warn"}


def test_vanished_library_file_is_reported_and_repaired(tmp_path: Path) -> None:
    env = Env(tmp_path / "world")
    with LoopbackServer() as server:
        make_audio(tmp_path / "a.mp3", seconds=1.0, tags={"title": "Gone", "artist": "A"})
        url = server.add("/a.mp3", (tmp_path / "a.mp3").read_bytes(), "audio/mpeg")
        with Daemon(env) as daemon:
            daemon.wait_ready()
            env.drop("a.txt", [url])
            wait_for(lambda: env.counts().get("done") == 1, 60, daemon, what="done")
            daemon.stop()
        [file] = env.library_files()
        file.unlink()
        with Daemon(env) as daemon:  # startup notices and reports, but does not re-download
            daemon.wait_ready()
            wait_for(
                lambda: "have no file any more" in daemon.output(),
                20,
                daemon,
                what="startup report",
            )
            daemon.stop()
        assert env.counts()["done"] == 1 and not env.library_files()
        warn = env.cli("doctor")
        assert "[WARN] library files: 1 done tracks have no file" in warn.stdout
        assert "doctor --repair" in warn.stdout
        repaired = env.cli("doctor", "--repair")
        assert "queued again" in repaired.stdout
        assert env.counts()["pending"] == 1
        result = env.cli("sync", "--once", timeout=60)
        assert result.returncode == 0, result.stderr
    assert len(env.library_files()) == 1 and env.counts()["done"] == 1


def test_world_readable_config_with_secret_warns(tmp_path: Path) -> None:
    env = Env(tmp_path / "world", spotify={"client_id": "id", "client_secret": "topsecret"})
    env.config_path.chmod(0o644)
    warned = env.cli("doctor")
    assert "[WARN] config permissions" in warned.stdout and "chmod 600" in warned.stdout
    assert "topsecret" not in warned.stdout + warned.stderr
    env.config_path.chmod(0o600)
    assert "config permissions" not in env.cli("doctor").stdout
