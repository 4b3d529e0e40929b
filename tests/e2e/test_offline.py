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


def test_a_cut_off_host_does_not_stop_hosts_that_answer(tmp_path: Path) -> None:
    """One failed name lookup (the track's own host and the check host do not resolve) opens the
    offline circuit, but only that host waits: loopback tracks dropped meanwhile run (their host
    answers), the first one that gets through closes the circuit at once (the next probe is 30 s
    away), and the cut-off track waits without spending an attempt."""
    audio = make_audio(tmp_path / "tone.wav", seconds=1.0).read_bytes()
    with LoopbackServer() as media:
        urls = [media.add(f"/track/{n}.wav", audio, "audio/wav") for n in range(3)]
        env = Env(
            tmp_path / "world",
            network={"check_urls": ["http://check-host.invalid/"], "probe_every": "30s"},
        )
        with Daemon(env) as daemon:
            daemon.wait_ready()
            env.drop("far.txt", ["http://far-host.invalid/song.wav"])
            wait_for(
                lambda: env.status()["circuits"].get("offline", {}).get("open"),
                30,
                daemon,
                what="the offline circuit to open",
            )
            env.drop("near.txt", urls)
            wait_for(lambda: env.counts().get("done") == 3, 30, daemon, what="3 loopback tracks")
            assert not env.status()["circuits"].get("offline", {}).get("open")
            # Another track of the cut-off host waits untried, and says why.
            got = env.cli("get", "http://far-host.invalid/two.wav", "--defer-after", "3s")
            daemon.stop()
    assert got.returncode == 75, got.stdout + got.stderr
    assert "url:http://far-host.invalid/two.wav: waiting for the network, next check" in got.stdout
    log = daemon.output()
    assert log.count("WARNING spotsyncd.engine.resilience.offline: offline since") == 1, log
    assert f"online again: a job reached 127.0.0.1:{media.port}" in log
    ledger = env.ledger()
    try:
        far = ledger.track("url:http://far-host.invalid/song.wav")
        assert far is not None and far.state == "pending" and far.attempts == 0, far
        assert str(far.error).startswith("offline")
        assert [t.attempts for t in ledger.tracks() if t.state == "done"] == [1, 1, 1]
    finally:
        ledger.close()
    assert log.count("start url:http://far-host.invalid/song.wav") == 1  # it waited, untried
    assert "start url:http://far-host.invalid/two.wav" not in log


def test_attempts_lost_before_offline_was_confirmed_are_given_back(tmp_path: Path) -> None:
    """A blip: the track's host goes first while the check host still answers, so the first
    failures look like that host's own and spend attempts (fast retries); then the check host
    goes too and the outage is confirmed. Those attempts are given back: the track waits for
    the network with 0 attempts spent instead of going to a slow retry."""
    with LoopbackServer() as media, LoopbackServer() as other:
        other.add("/", b"ok", "text/plain")
        env = Env(
            tmp_path / "world",
            network={"check_urls": [other.url("/")], "probe_every": "30s"},
            download={"max_retries": 2, "backoff_seconds": 3.0, "slow_retries": ["1h"]},
        )
        media.go_offline()
        with Daemon(env) as daemon:
            daemon.wait_ready()
            env.drop("one.txt", [media.url("/song.wav")])
            wait_for(
                lambda: "attempt 1 failed" in daemon.output(), 30, daemon, what="a first failure"
            )
            other.go_offline()  # now the whole network is down
            wait_for(
                lambda: env.status()["circuits"].get("offline", {}).get("open"),
                30,
                daemon,
                what="the offline circuit to open",
            )
            wait_for(lambda: env.counts().get("running") == 0, 10, daemon, what="the job back")
            daemon.stop()
    ledger = env.ledger()
    try:
        (track,) = ledger.tracks()
        history = [e["message"] for e in ledger.events_for(track.id)]
    finally:
        ledger.close()
    assert track.state == "pending" and track.attempts == 0, (track, history)
    assert any("given back" in message for message in history), history
    assert "slow retry" not in daemon.output()
