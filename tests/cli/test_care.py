"""``spotsyncd verify`` and ``retag`` as a user runs them: a progress bar on a terminal only,
plain lines and JSON otherwise, one clear line for a usage mistake."""

from __future__ import annotations

import json
import os
import pty
import subprocess
from pathlib import Path

import pytest

from spotsyncd.core.models import TrackMeta
from tests.e2e.harness import Env, cli_command
from tests.fakes.filed import file_track

pytestmark = pytest.mark.timeout(120)


def _library(tmp_path: Path) -> Env:
    env = Env(tmp_path / "world")
    env.state.mkdir()
    ledger = env.ledger()
    try:
        for n in range(3):
            meta = TrackMeta(title=f"Song {n}", artists=("Band",))
            file_track(ledger, env.library, n, f"Band/Singles/Song {n}.mp3", meta, seconds=0.5)
    finally:
        ledger.close()
    (env.library / "Band/Singles/Song 1.mp3").unlink()
    return env


@pytest.mark.e2e
def test_progress_bar_on_a_terminal(tmp_path: Path) -> None:
    env = _library(tmp_path)
    main, child = pty.openpty()
    try:
        proc = subprocess.run([*cli_command(), "verify"], env=env.environ(COLUMNS="100"),
                              stdout=subprocess.PIPE, stderr=child, timeout=90)  # fmt: skip
        os.close(child)
        child = -1
        screen = b""
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:
                break
            if not chunk:
                break
            screen += chunk
    finally:
        os.close(main)
        if child >= 0:
            os.close(child)
    text = screen.decode("utf-8", "replace")
    assert "checking filed tracks" in text and "3/3" in text, text
    assert proc.returncode == 1
    assert "missing: Band/Singles/Song 1.mp3" in proc.stdout.decode()


@pytest.mark.e2e
def test_no_bar_when_not_a_terminal_and_json_lines(tmp_path: Path) -> None:
    env = _library(tmp_path)
    plain = env.cli("verify")
    assert plain.returncode == 1 and "checking filed tracks" not in plain.stderr
    assert "--fix would: queue the track to download again" in plain.stdout
    assert "checked 3 tracks and 2 files: 1 problems" in plain.stdout
    lines = [json.loads(line) for line in env.cli("verify", "--json").stdout.splitlines()]
    assert lines[0]["problem"] == "missing" and lines[0]["fixed"] is False
    assert lines[-1]["summary"]["tracks"] == 3


@pytest.mark.e2e
def test_retag_usage_mistakes_are_one_line(tmp_path: Path) -> None:
    env = _library(tmp_path)
    nothing = env.cli("retag")
    assert nothing.returncode == 1
    assert nothing.stderr.strip() == (
        "spotsyncd: name the tracks to retag (KEY …) or pass --all for every filed track"
    )
    unknown = env.cli("retag", "youtube:nosuchvideo")
    assert unknown.returncode == 1 and "Traceback" not in unknown.stderr
    assert "youtube:nosuchvideo is not a downloaded track" in unknown.stderr
    one = env.cli("retag", "https://youtu.be/vid00000000")  # a link names its track too
    assert one.returncode == 0 and "retag: 1 retagged" in one.stdout, one.stdout + one.stderr
