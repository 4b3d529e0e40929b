"""A 5xx storm longer than the fast retries: jobs wait (state ``waiting``, visible in
``status``, ``tracks``, ``why`` and the inbox report) and all end done through the slow
retry ladder, none failed. The ladder is made short by config."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from spotsyncd.cli.main import main
from tests.e2e.harness import Daemon, Env, wait_for
from tests.fakes.audio import make_audio
from tests.fakes.http_server import LoopbackServer

pytestmark = pytest.mark.timeout(150)

LINKS = 4
STORM_S = 10.0  # longer than the fast retries take, shorter than the first slow retry


def _cli(capsys: pytest.CaptureFixture[str], env: Env, *args: str) -> str:
    capsys.readouterr()
    assert main([*args, "--config", str(env.config_path)]) == 0
    return capsys.readouterr().out


def test_a_5xx_storm_ends_done_through_slow_retries(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = Env(
        tmp_path / "world",
        download={
            "max_retries": 1,
            "backoff_seconds": 0.2,
            # the first slow retry leaves time to look at the waiting tracks under load
            "slow_retries": ["8s", "5s", "5s"],
        },
    )
    audio = make_audio(tmp_path / "tone.wav", seconds=1.0).read_bytes()
    with LoopbackServer() as server:
        urls = [server.add(f"/storm/{n}.wav", audio, "audio/wav") for n in range(LINKS)]
        server.storm(STORM_S, 503)
        with Daemon(env) as daemon:
            daemon.wait_ready()
            env.drop("storm.txt", urls)
            # During the storm the fast retries run out and the jobs wait.
            status = wait_for(
                lambda: (s := env.status())["jobs"]["waiting"] > 0 and s,
                30,
                daemon,
                what="a job to wait for a slow retry",
            )
            assert set(status["jobs"]) == {
                "skipped",
                "pending",
                "waiting",
                "running",
                "done",
                "failed",
                "review",
            }
            assert status["next_slow_retry_at"] > time.time() - 1
            # The same commands in this process (a second interpreter per look is too slow on
            # a loaded machine to catch the waiting state reliably).
            text = _cli(capsys, env, "status")
            assert "waiting for a slow retry" in text
            waiting = json.loads(_cli(capsys, env, "tracks", "--state", "waiting", "--json"))
            assert waiting and all(r["state"] == "waiting" and r["retry_at"] for r in waiting)
            assert "next attempt at" in _cli(capsys, env, "tracks", "--state", "waiting")
            why = _cli(capsys, env, "why", waiting[0]["key"])
            assert "waiting" in why and "slow retry 1 of 3" in why and "next attempt in" in why
            report = env.inbox / "processed" / "storm.txt.report.txt"
            wait_for(
                lambda: report.exists() and "waiting → next attempt at" in report.read_text(),
                10,
                daemon,
                what="the report to show a waiting line",
            )
            wait_for(
                lambda: env.counts().get("done") == LINKS,
                STORM_S + 60,
                daemon,
                what="every track done after the storm",
            )
            daemon.stop()
    counts = env.counts()
    assert counts["failed"] == 0 and counts["waiting"] == 0 and counts["done"] == LINKS
    assert len(env.library_files()) == LINKS
    report_text = report.read_text(encoding="utf-8")
    assert report_text.count("done →") == LINKS and "complete" in report_text
    ledger = env.ledger()
    try:
        histories = [ledger.events_for(ledger.track(f"url:{u}").id) for u in urls]  # type: ignore[union-attr]
    finally:
        ledger.close()
    kinds = [e["kind"] for history in histories for e in history]
    assert "waiting" in kinds and "failed" not in kinds
    messages = " ".join(e["message"] for history in histories for e in history)
    assert "will retry" not in messages and "fast retries spent" in messages
    log = daemon.output()
    assert "Traceback" not in log and "fast retries spent; waiting until" in log


def test_a_waiting_track_with_nothing_downloaded_leaves_no_staging_folder(
    tmp_path: Path,
) -> None:
    """A job that failed before a byte came has nothing to resume: its staging folder goes
    (a partial download's stays, for the retry to resume it)."""
    with LoopbackServer() as server:
        server.add("/a.mp3", b"x", "audio/mpeg")
        server.storm(600)
        env = Env(tmp_path, download={"slow_retries": ["1h"]})
        with Daemon(env) as daemon:
            daemon.wait_ready()
            env.drop("a.txt", [server.url("/a.mp3")])
            wait_for(lambda: env.counts().get("waiting", 0) == 1, 60, daemon,
                     what="the track to wait for its slow retry")  # fmt: skip
            daemon.stop()
    left = [p for p in (env.state / "staging").rglob("*")]
    assert left == [], left
