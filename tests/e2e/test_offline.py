"""The machine goes offline mid-batch (every host refuses connections) and comes back: the
offline circuit opens once and closes once, no attempt is spent while offline, every track
ends done, and a notification (Apprise json:// to a loopback receiver that stays up) says
"offline since HH:MM" after ``notify.offline_after``. The outage is short by default
(``offline_s``; 30 s with ``--slow``)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.e2e.harness import Daemon, Env, wait_for
from tests.fakes.audio import make_audio
from tests.fakes.http_server import LoopbackServer

pytestmark = pytest.mark.timeout(240)

LINKS = 20
TOKEN = "notifyToken0123456789"


def _notes(receiver: LoopbackServer) -> list[dict[str, object]]:
    return [json.loads(body) for body in receiver.bodies[f"/notify/{TOKEN}"]]


def _run_outage(tmp_path: Path, offline_s: float) -> None:
    audio = make_audio(tmp_path / "tone.wav", seconds=1.0).read_bytes()
    with LoopbackServer() as media, LoopbackServer() as other, LoopbackServer() as receiver:
        urls = [media.add(f"/track/{n}.wav", audio, "audio/wav") for n in range(LINKS)]
        other.add("/", b"ok", "text/plain")
        receiver.add(f"/notify/{TOKEN}", b"ok")
        env = Env(
            tmp_path / "world",
            network={"check_urls": [media.url("/"), other.url("/")], "probe_every": "1s"},
            notify={
                "urls": [f"json://bot:{TOKEN}@127.0.0.1:{receiver.port}/notify/{TOKEN}"],
                "on": ["offline", "failed"],
                "offline_after": "2s",
                "batch_seconds": "1s",
            },
        )
        with Daemon(env) as daemon:
            daemon.wait_ready()
            env.drop("batch.txt", urls)
            wait_for(lambda: env.counts().get("done", 0) >= 3, 60, daemon, what="3 tracks done")
            # The check host first: while the media host still serves, nothing fails; once
            # it goes too, the first failure finds every host down (a real outage takes them
            # all at once; two servers cannot stop in the same instant).
            other.go_offline()
            media.go_offline()
            status = wait_for(
                lambda: (s := env.status())["circuits"].get("offline", {}).get("open") and s,
                30,
                daemon,
                what="the offline circuit to open",
            )
            offline = status["circuits"]["offline"]
            assert offline["error_class"] == "offline" and offline["since"] <= time.time()
            # the reason says it all, for anything that shows circuits (status, the web page)
            since_hhmm = time.strftime("%H:%M", time.localtime(offline["since"]))
            assert offline["reason"].startswith(f"offline since {since_hhmm}: no network")
            text = env.cli("status", check=True).stdout
            assert "offline since" in text
            done_when_offline = env.counts()["done"]
            notes = wait_for(lambda: _notes(receiver), 20, daemon, what="the offline notification")
            time.sleep(offline_s)
            assert env.status()["circuits"]["offline"]["open"]
            # Jobs in flight when the network went down settle (handed back, no attempt spent).
            wait_for(lambda: env.counts()["running"] == 0, 15, daemon, what="in-flight jobs")
            counts = env.counts()
            # Nothing is taken while offline (at most the jobs in flight when it went down
            # finished), nothing failed, nothing waits for a slow retry.
            assert counts["failed"] == 0 and counts["waiting"] == 0 and counts["running"] == 0
            assert counts["done"] <= done_when_offline + 2
            media.go_online()
            other.go_online()
            wait_for(lambda: env.counts().get("done") == LINKS, 90, daemon, what="all tracks done")
            assert not env.status()["circuits"].get("offline", {}).get("open")
            wait_for(lambda: len(_notes(receiver)) >= 2, 20, daemon, what="'back online'")
            daemon.stop()
    notes = _notes(receiver)
    since = time.strftime("%H:%M", time.localtime(offline["since"]))
    assert notes[0]["title"] == f"spotsyncd: offline since {since}"
    assert "no network" in str(notes[0]["message"])
    assert [n["title"] for n in notes[1:]] == ["spotsyncd: back online"]  # nothing failed
    log = daemon.output()
    assert "Traceback" not in log
    assert TOKEN not in log and "json://***" in log  # the Apprise URL never reaches the log
    assert TOKEN not in (env.state / "logs" / "spotsyncd.log").read_text(encoding="utf-8")
    assert log.count("WARNING spotsyncd.engine.resilience.offline: offline since") == 1, log[-3000:]
    assert log.count("INFO spotsyncd.engine.resilience.offline: online again") == 1
    ledger = env.ledger()
    try:
        rows = ledger.tracks()
        assert [r.state for r in rows] == ["done"] * LINKS
        # 0 attempts spent while offline: every track took exactly one counted attempt.
        assert [r.attempts for r in rows] == [1] * LINKS
    finally:
        ledger.close()
    assert len(env.library_files()) == LINKS


def test_offline_mid_batch_pauses_and_resumes(tmp_path: Path) -> None:
    _run_outage(tmp_path, offline_s=6.0)


@pytest.mark.slow
def test_offline_for_30s_mid_batch(tmp_path: Path) -> None:
    _run_outage(tmp_path, offline_s=30.0)


def test_run_once_while_offline_exits_75_and_says_so(tmp_path: Path) -> None:
    """A cron job or systemd timer must not report success for a run that did nothing: with
    every host down, `run --once` leaves the queue for the next run, spends no attempt, ends
    with exit code 75 (EX_TEMPFAIL) and its last line says why."""
    with LoopbackServer() as media, LoopbackServer() as other:
        urls = [media.url(f"/track/{n}.wav") for n in range(3)]
        other.add("/", b"ok", "text/plain")
        env = Env(
            tmp_path / "world",
            network={"check_urls": [media.url("/"), other.url("/")], "probe_every": "1s"},
        )
        other.go_offline()
        media.go_offline()
        env.drop("batch.txt", urls)
        result = env.cli("run", "--once", timeout=120)
    assert result.returncode == 75, (result.returncode, result.stderr[-2000:])
    last = result.stderr.strip().splitlines()[-1]
    assert "offline" in last and "75" in last, last
    counts = env.counts()
    assert counts.get("pending", 0) + counts.get("waiting", 0) == 3 and not counts.get("failed")
    ledger = env.ledger()
    try:
        assert all(track.attempts == 0 for track in ledger.tracks())
    finally:
        ledger.close()
