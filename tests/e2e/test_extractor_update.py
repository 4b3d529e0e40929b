"""yt-dlp kept fresh, with the daemon as a real process and releases from a local package index
(wheels of the installed yt-dlp with newer versions, made here): a good release is switched to
between jobs, one that fails its canary is refused, one whose downloads fail is rolled back —
while real downloads from loopback run across all of them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from spotsyncd.sources.ytdlp.releases import Releases
from tests.e2e.harness import Daemon, Env, wait_for
from tests.fakes.audio import make_audio
from tests.fakes.http_server import LoopbackServer
from tests.fakes.ytdlp_wheels import BREAK_DOWNLOAD, BREAK_EXTRACTION, build_release, index_url

pytestmark = pytest.mark.timeout(300)

GOOD, NO_CANARY, NO_DOWNLOAD = "2099.1.1", "2099.2.1", "2099.3.1"


@pytest.fixture
def tones(tmp_path: Path) -> Path:
    folder = tmp_path / "tones"
    folder.mkdir()
    make_audio(folder / "tone.mp3", seconds=1.0, freq=440)
    return folder


def _done(env: Env, keys: list[str]) -> bool:
    ledger = env.ledger()
    try:
        rows = [ledger.track(key) for key in keys]
    finally:
        ledger.close()
    return all(row is not None and row.state == "done" for row in rows)


def _keys(env: Env, urls: list[str]) -> list[str]:
    from spotsyncd.intake.links import parse_link

    return [parse_link(url).key for url in urls]


def _events(env: Env, kind: str) -> list[str]:
    ledger = env.ledger()
    try:
        rows = ledger.events_after(0, limit=5000)
    finally:
        ledger.close()
    return [row["message"] for row in rows if row["kind"] == kind]


def test_update_switch_refusal_and_rollback_with_jobs_running(tmp_path: Path, tones: Path) -> None:
    index = tmp_path / "index"
    build_release(index, GOOD)
    env = Env(
        tmp_path / "user",
        extractors={
            "index_url": index_url(index),
            "auto_update": "false",
            "probation_downloads": 2,
        },
        download={"workers": 2, "max_retries": 3},
    )
    pip_env = {"PIP_CONFIG_FILE": "/dev/null", "PIP_FIND_LINKS": str(index / "simple" / "yt-dlp")}
    releases = Releases(env.state)
    body = (tones / "tone.mp3").read_bytes()
    with LoopbackServer() as server, Daemon(env, extra_env=pip_env) as daemon:
        server.add("/tone.mp3", body, "audio/mpeg")
        server.pace(8_000)  # each download takes about two seconds
        batch = iter(range(1000))

        def drop(n: int) -> list[str]:
            urls = [server.url(f"/tone.mp3?n={next(batch)}") for _ in range(n)]
            env.drop(f"batch-{urls[0][-3:]}.txt", urls)
            return _keys(env, urls)

        daemon.wait_ready()
        first = drop(3)
        wait_for(lambda: _done(env, first), 90, daemon, what="the first batch")

        # A newer release passes its canary (extracting recent downloads from loopback):
        # switched to while the next batch runs; the daemon takes it up between jobs.
        second = drop(6)
        wait_for(lambda: _done(env, second[:1]), 60, daemon, what="a job of the second batch")
        update = env.cli("extractors", "update", timeout=180, **pip_env)
        assert update.returncode == 0, update.stdout + update.stderr
        assert "switched from" in update.stdout and GOOD in update.stdout
        assert releases.read().active == GOOD
        second += drop(2)
        wait_for(lambda: _done(env, second), 120, daemon, what="the second batch")
        log = daemon.output()
        switch_at = log.find(f"now running yt-dlp {GOOD}")
        assert 0 < log.find("done ") < switch_at < log.rfind("done "), log[-3000:]

        # A release whose extraction fails its canary is refused: nothing switches.
        build_release(index, NO_CANARY, breaks=BREAK_EXTRACTION)
        refused = env.cli("extractors", "update", timeout=180, **pip_env)
        assert refused.returncode == 1, refused.stdout + refused.stderr
        assert (
            "failed its check" in refused.stdout and f"staying with yt-dlp {GOOD}" in refused.stdout
        )
        assert releases.read().active == GOOD
        third = drop(2)
        wait_for(lambda: _done(env, third), 90, daemon, what="the third batch")

        # A release that extracts but cannot download passes the canary; its first
        # downloads fail where the release before worked, so it is rolled back, and the
        # jobs finish with the good one.
        build_release(index, NO_DOWNLOAD, breaks=BREAK_DOWNLOAD)
        switched = env.cli("extractors", "update", timeout=180, **pip_env)
        assert switched.returncode == 0, switched.stdout + switched.stderr
        assert releases.read().active == NO_DOWNLOAD
        fourth = drop(4)
        wait_for(lambda: releases.read().active == GOOD, 90, daemon, what="the rollback")
        wait_for(lambda: _done(env, fourth), 120, daemon, what="the fourth batch")
        wait_for(lambda: _events(env, "yt_dlp_rollback"), 30, daemon, what="a rollback event")
        daemon.stop()

    log = daemon.output()
    assert f"now running yt-dlp {NO_DOWNLOAD}" in log
    assert log.count(f"yt-dlp rolled back from {NO_DOWNLOAD} to {GOOD}") == 1
    assert "Traceback" not in log
    assert len(_events(env, "yt_dlp_switch")) == 2
    assert len(_events(env, "yt_dlp_refused")) == 1
    (rollback,) = _events(env, "yt_dlp_rollback")
    assert "failed" in rollback and "127.0.0.1" in rollback
    status = json.loads(env.cli("extractors", "status", "--json", check=True).stdout)
    assert status["version"] == GOOD and status["where"] == "state_dir"
    assert NO_DOWNLOAD in status["refused"]
    # The installed environment was never touched.
    from importlib import metadata

    assert metadata.version("yt-dlp") not in (GOOD, NO_CANARY, NO_DOWNLOAD)
