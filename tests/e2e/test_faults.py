"""Faults from the outside world, each with its promised outcome, through the real daemon:
transient trouble is retried until it works; garbage fails clearly; a full disk is retried
and resumes once there is space; the daemon never crashes."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.e2e.harness import Daemon, Env, wait_for
from tests.fakes.audio import FFMPEG, make_audio
from tests.fakes.http_server import LoopbackServer

pytestmark = pytest.mark.timeout(180)


def _video_without_audio(path: Path) -> Path:
    subprocess.run(
        [
            FFMPEG,
            "-hide_banner",
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=64x64:rate=5:duration=2",
            "-c:v",
            "mpeg4",
            str(path),
        ],
        check=True,
    )
    return path


def test_network_faults_are_retried_and_garbage_fails_clearly(tmp_path: Path) -> None:
    env = Env(
        tmp_path / "world",
        download={"timeout_seconds": 2, "max_retries": 3, "backoff_seconds": 0.2},
    )
    with LoopbackServer() as server:
        audio = make_audio(tmp_path / "tone.wav", seconds=2.0).read_bytes()
        urls = {}
        for name, faults in {
            "close": ["close"],
            "stall": [("stall", 10)],
            "flaky": [503, 502],
            "limited": [429],
        }.items():
            urls[name] = server.add(f"/{name}.wav", audio, "audio/wav")
            server.fail(f"/{name}.wav", faults)
        urls["html"] = server.add(
            "/page.mp3", b"<html><body>Sorry, not here</body></html>", "text/html"
        )
        urls["empty"] = server.add("/empty.mp3", b"", "audio/mpeg")
        video = _video_without_audio(tmp_path / "silent.mp4").read_bytes()
        urls["video"] = server.add("/silent.mp4", video, "video/mp4")
        urls["truncated"] = server.add("/cut.wav", audio[:40], "audio/wav")
        with Daemon(env) as daemon:
            daemon.wait_ready()
            env.drop("faults.txt", list(urls.values()))
            wait_for(
                lambda: (
                    env.counts().get("done", 0) + env.counts().get("failed", 0) == 8
                    and not env.counts().get("pending")
                ),
                150,
                daemon,
                what="all ended",
            )
            assert daemon.proc.poll() is None
            daemon.stop()
    ledger = env.ledger()
    try:
        outcome = {name: ledger.track(f"url:{url}") for name, url in urls.items()}
    finally:
        ledger.close()
    for name in ("close", "stall", "flaky", "limited"):
        track = outcome[name]
        assert track is not None and track.state == "done", (name, track)
        assert not server.faults[f"/{name}.wav"], name  # every scripted fault was met
    # The page request of a direct link is not retried inside yt-dlp: our backoff did it.
    assert outcome["flaky"] is not None and outcome["flaky"].attempts >= 2
    for name in ("html", "video", "truncated"):
        track = outcome[name]
        assert track is not None and track.state == "failed", (name, track)
        assert track.error and track.error_class == "permanent", (name, track.error)
        assert track.attempts == 1, (name, track.attempts)
    # An empty body may be a server hiccup: retried, then failed with the reason.
    empty = outcome["empty"]
    assert empty is not None and empty.state == "failed" and "data" in (empty.error or "")
    assert "Traceback" not in daemon.output()
    assert not any((env.state / "staging").iterdir())  # failed for good: staging cleaned


def _mount_tmpfs(target: Path, size: str) -> bool:
    if shutil.which("mount") is None:
        return False
    target.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(target)], capture_output=True
    )
    return result.returncode == 0


def test_disk_full_is_retried_and_resumes(tmp_path: Path) -> None:
    library = tmp_path / "world" / "library"
    if not _mount_tmpfs(library, "64k"):
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        env = Env(tmp_path / "world", download={"max_retries": 20, "backoff_seconds": 0.5})
        with LoopbackServer() as server:
            source = make_audio(tmp_path / "big.wav", seconds=8.0)
            url = server.add("/big.wav", source.read_bytes(), "audio/wav")
            with Daemon(env) as daemon:
                daemon.wait_ready()
                env.drop("big.txt", [url])
                wait_for(
                    lambda: "disk" in daemon.output() and "No space" in daemon.output(),
                    60,
                    daemon,
                    what="a disk-full failure",
                )
                assert env.counts().get("pending") == 1  # retryable, not failed
                assert not [p for p in library.rglob("*") if p.is_file()]  # nothing half-written
                subprocess.run(["mount", "-o", "remount,size=16m", str(library)], check=True)
                wait_for(lambda: env.counts().get("done") == 1, 60, daemon, what="resumed")
                assert daemon.proc.poll() is None
                daemon.stop()
        files = [p for p in library.rglob("*") if p.is_file()]
        assert len(files) == 1 and files[0].suffix == ".mp3"
    finally:
        subprocess.run(["umount", "-l", str(library)], capture_output=True)
