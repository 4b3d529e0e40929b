"""``spotsyncd run`` checks first, then greets: what stops it at once (another daemon on the
state dir, a folder it cannot create) is said before "drop .txt files …" is."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.harness import Daemon, Env

GREETING = "drop .txt files of links into"

pytestmark = pytest.mark.timeout(120)


def test_a_second_daemon_says_another_runs_without_greeting(tmp_path: Path) -> None:
    env = Env(tmp_path)
    with Daemon(env) as first:
        first.wait_ready()
        assert f"spotsyncd: {GREETING} {env.inbox}" in first.output()
        second = env.cli("run", timeout=60)
        first.stop()
    assert second.returncode == 3, second.stderr
    assert second.stderr.splitlines() == [
        f"spotsyncd: another spotsyncd (pid {first.proc.pid}) is already running on "
        f"{env.state}; stop it first"
    ]
    assert GREETING not in second.stdout + second.stderr


def test_a_folder_it_cannot_create_is_said_without_greeting(tmp_path: Path) -> None:
    in_the_way = tmp_path / "a-file"
    in_the_way.write_text("not a folder\n", encoding="utf-8")
    env = Env(tmp_path / "user", library_dir=str(in_the_way / "library"))
    done = env.cli("run", "--once", timeout=60)
    assert done.returncode == 2, done.stderr
    assert "config error" in done.stderr and "library_dir" in done.stderr
    assert GREETING not in done.stdout + done.stderr
