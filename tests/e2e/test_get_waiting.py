"""``spotsyncd get`` while the daemon it hands over to cannot work: the track's real wait is shown
(plain lines off a terminal, a bar on one), the promise to defer after ``--defer-after`` is kept
with exit code 75 and a last line saying why, and Ctrl-C counts the track it followed.

The daemon is offline for the track: its host refuses connections and the check host's name
cannot resolve, so the offline circuit opens and the track waits without spending an attempt.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.e2e.harness import Daemon, Env, canned_search_daemon, cli_command, wait_for
from tests.e2e.test_get import run_in_pty
from tests.fakes.http_server import LoopbackServer

pytestmark = pytest.mark.timeout(120)

NO_NAME = "http://check-host.invalid/"  # never resolves: the check host is always down


def _offline_env(tmp_path: Path) -> Env:
    return Env(tmp_path / "world", network={"check_urls": [NO_NAME], "probe_every": "30s"})


def _wait_offline(env: Env, daemon: Daemon) -> None:
    wait_for(
        lambda: env.status()["circuits"].get("offline", {}).get("open"),
        30,
        daemon,
        what="the offline circuit to open",
    )


def test_get_shows_the_wait_then_defers_with_75(tmp_path: Path) -> None:
    env = _offline_env(tmp_path)
    with LoopbackServer() as media, Daemon(env) as daemon:
        daemon.wait_ready()
        media.go_offline()
        url = media.url("/x.wav")
        result = env.cli("get", url, "--defer-after", "4s", timeout=60)
        assert result.returncode == 75, result.stdout + result.stderr + daemon.output()[-3000:]
        status = env.status()
        daemon.stop()
    since = time.strftime("%H:%M", time.localtime(status["circuits"]["offline"]["since"]))
    lines = result.stdout.splitlines()
    waits = [line for line in lines if "waiting: offline since" in line]
    assert waits and f"offline since {since}, next check " in waits[0], result.stdout
    assert url in waits[0]
    assert "0 done, 0 failed, 1 put off of 1" in result.stdout
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("spotsyncd: 1 track put off (waiting: offline since"), last
    assert "exit code 75" in last and "the daemon finishes it" in last
    # It stays queued for the daemon, and waiting spent no attempt.
    ledger = env.ledger()
    try:
        (track,) = ledger.tracks()
        assert track.state == "pending" and track.attempts == 0
    finally:
        ledger.close()


class _Get:
    """``get`` with its output on a terminal-less pipe, interrupted by hand."""

    def __init__(self, env: Env, *args: str) -> None:
        self.proc = subprocess.Popen(
            [*cli_command(), "get", *args],
            env=env.environ(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )

    def interrupt_when(self, env: Env, predicate: object) -> tuple[int, str, str]:
        try:
            wait_for(predicate, 30, what="get to follow the track")  # type: ignore[arg-type]
            time.sleep(0.5)
            self.proc.send_signal(signal.SIGINT)
            out, err = self.proc.communicate(timeout=20)
        finally:
            if self.proc.poll() is None:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        return self.proc.returncode, out, err


def test_ctrl_c_while_waiting_counts_the_track(tmp_path: Path) -> None:
    env = _offline_env(tmp_path)
    with LoopbackServer() as media, Daemon(env) as daemon:
        daemon.wait_ready()
        media.go_offline()
        get = _Get(env, media.url("/x.wav"))
        code, out, err = get.interrupt_when(
            env, lambda: env.counts().get("pending") == 1 and "offline since" in daemon.output()
        )
        daemon.stop()
    assert code == 130, out + err
    assert "0 done, 0 failed, 1 waiting of 1" in out, out
    assert " of 0" not in out
    assert "stopped following; the daemon carries on" in err


def test_a_bot_check_circuit_is_named_and_the_track_put_off(tmp_path: Path) -> None:
    """The daemon's searches meet a bot check: the YouTube circuit opens for five minutes, past
    ``--defer-after``, so ``get`` reports the track put off at once, naming the circuit."""
    env = Env(tmp_path / "world")
    search = tmp_path / "search.json"
    search.write_text(json.dumps({"bot_check": "Sign in to confirm you're not a bot"}))
    with canned_search_daemon(env, search) as daemon:
        daemon.wait_ready()
        result = env.cli("get", "Marrow Hill - Glass Rivers", timeout=60)
        daemon.stop()
    assert result.returncode == 75, result.stdout + result.stderr
    assert "put off (waiting for the YouTube bot-check circuit until " in result.stdout
    last = result.stderr.strip().splitlines()[-1]
    assert "waiting for the YouTube bot-check circuit until" in last and "exit code 75" in last


def test_on_a_terminal_the_bar_says_why_it_waits(tmp_path: Path) -> None:
    env = _offline_env(tmp_path)
    with LoopbackServer() as media, Daemon(env) as daemon:
        daemon.wait_ready()
        media.go_offline()
        world = _TerminalWorld(env)
        code, output = run_in_pty(world, media.url("/x.wav"), "--defer-after", "5s", timeout=60)  # type: ignore[arg-type]
        daemon.stop()
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", output)
    assert code == 75, text
    assert "waiting: offline since" in text and "next check" in text, text
    assert "put off" in text and "exit code 75" in text


class _TerminalWorld:
    """What ``run_in_pty`` needs: the command and its environment."""

    def __init__(self, env: Env) -> None:
        self.env = env
        self.root = env.root

    def command(self, *args: str) -> list[str]:
        return [*cli_command(), "get", *args]

    def environ(self) -> dict[str, str]:
        return self.env.environ(TERM="xterm-256color", COLUMNS="160", LINES="40")


def test_without_a_daemon_a_track_in_a_slow_retry_is_put_off_with_75(tmp_path: Path) -> None:
    """No daemon: ``get`` runs the pool itself (no offline watch: an unreachable host is that
    host's problem). Its fast retries spent, the track waits for a slow retry 15 minutes away,
    past ``--defer-after``: put off, exit code 75, and it stays queued."""
    env = Env(tmp_path / "world", download={"slow_retries": ["15m"]})
    with LoopbackServer() as media:
        media.go_offline()
        result = env.cli("get", media.url("/x.wav"), timeout=60)
    assert result.returncode == 75, result.stdout + result.stderr
    assert "waiting: next attempt at" in result.stdout
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("spotsyncd: 1 track put off (waiting: next attempt at "), last
    assert "run 'spotsyncd get' again later" in last and "exit code 75" in last
    assert env.counts()["waiting"] == 1
