"""The core promise, end to end with the daemon as a real process: a link file in the inbox
becomes finished, tagged, loudness-normalised, silence-trimmed files in the library."""

from __future__ import annotations

import json
import signal

import mutagen
import pytest

from tests.e2e.conftest import CODECS
from tests.e2e.harness import Daemon, Env, wait_for
from tests.fakes.audio import duration, loudness
from tests.fakes.http_server import LoopbackServer

pytestmark = pytest.mark.timeout(240)


def _terminal(env: Env, total: int) -> bool:
    counts = env.counts()
    return counts.get("done", 0) + counts.get("failed", 0) >= total and not (
        counts.get("pending") or counts.get("running")
    )


def test_inbox_file_to_tagged_library(env: Env, audio_server: LoopbackServer) -> None:
    links = [audio_server.url(f"/{codec}/tone.{codec}") for codec in CODECS]
    missing = audio_server.url("/gone/missing.mp3")
    with Daemon(env) as daemon:
        daemon.wait_ready()
        env.drop("batch.txt", ["# my links", *links, "", missing, "file:///etc/passwd", links[0]])
        wait_for(lambda: _terminal(env, len(CODECS) + 1), 150, daemon, what="all jobs to end")
        stopped_in = daemon.stop(signal.SIGTERM)
    assert stopped_in < 10

    counts = env.counts()
    assert counts["done"] == len(CODECS) and counts["failed"] == 1

    files = [p for p in env.library_files() if p.suffix == ".mp3"]
    assert len(files) == len(CODECS), env.library_files()
    for path in files:
        assert path.resolve().is_relative_to(env.library.resolve())
        audio = mutagen.File(path, easy=True)
        assert audio is not None and audio.get("title"), path
        level = loudness(path)
        assert abs(level["lufs"] - (-14.0)) <= 1.0, (path, level)
        assert level["true_peak"] <= -0.8, (path, level)
        assert 2.6 <= duration(path) <= 3.6, (path, duration(path))  # 1 s silence trimmed each end
    tagged = [p for p in files if "Test Artist" in p.parts]
    assert len(tagged) == 3  # mp3, flac and ogg carried tags: filed by artist/album
    assert not list(env.library.rglob("*.tmp")) and not list(env.library.rglob("*.part"))
    assert not any((env.state / "staging").iterdir())

    processed = env.inbox / "processed" / "batch.txt"
    assert processed.exists() and not (env.inbox / "batch.txt").exists()
    report = (env.inbox / "processed" / "batch.txt.report.txt").read_text(encoding="utf-8")
    assert report.count("done →") == len(CODECS)
    assert "failed →" in report and "404" in report
    assert "refused →" in report and "file" in report.lower()

    ledger = env.ledger()
    try:
        failed = ledger.tracks(state=ledger_state("failed"))
        assert failed[0].error_class == "permanent"
    finally:
        ledger.close()

    # The stable JSON for scripts.
    status = env.status()
    assert status["jobs"] == {
        "pending": 0, "waiting": 0, "running": 0, "done": len(CODECS), "failed": 1, "review": 0,
        "skipped": 0,
    }  # fmt: skip
    assert status["daemon"]["running"] is False and status["overall"]["done"] == len(CODECS)
    assert status["recent_failures"][0]["error_class"] == "permanent"
    rows = json.loads(env.cli("tracks", "--json", check=True).stdout)
    assert len(rows) == len(CODECS) + 1
    for row in rows:
        assert {"key", "state", "title", "artist", "path", "error"} <= set(row)
    done = json.loads(env.cli("tracks", "--state", "done", "--json", check=True).stdout)
    assert all((env.library / r["path"]).is_file() for r in done)
    report = json.loads(env.cli("report", "--since", "1d", "--json", check=True).stdout)
    assert report["done"] == len(CODECS) and report["failed_by_reason"] == {"permanent": 1}
    assert report["bytes"] == sum(p.stat().st_size for p in files)
    why = env.cli("why", missing, check=True).stdout
    assert "404" in why and "history:" in why


def test_second_drop_downloads_nothing_and_restart_resumes(
    env: Env, audio_server: LoopbackServer
) -> None:
    links = [audio_server.url(f"/{codec}/tone.{codec}") for codec in CODECS[:3]]
    with Daemon(env) as daemon:
        daemon.wait_ready()
        env.drop("first.txt", links)
        wait_for(lambda: env.counts().get("done") == 3, 120, daemon, what="3 done")
        hits = sum(audio_server.hits.values())
        env.drop("again.txt", links)
        wait_for(
            lambda: (env.inbox / "processed" / "again.txt.report.txt").exists(),
            20,
            daemon,
            what="second report",
        )
        wait_for(
            lambda: (
                "complete"
                in (env.inbox / "processed" / "again.txt.report.txt").read_text(encoding="utf-8")
            ),
            20,
            daemon,
            what="second report complete",
        )
        assert sum(audio_server.hits.values()) == hits
        daemon.stop()
    assert len(env.library_files()) == 3


def ledger_state(name: str):  # type: ignore[no-untyped-def]
    from spotsyncd.core.models import JobState

    return JobState(name)
