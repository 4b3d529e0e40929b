"""A new user starts the daemon and runs ``spotsyncd status`` at the same moment, on a state dir
that has no ledger yet: both work, neither prints ``database is locked`` or a traceback."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.e2e.harness import Daemon, Env, cli_command

pytestmark = pytest.mark.timeout(120)


def test_daemon_and_status_opening_a_new_ledger_at_once(tmp_path: Path) -> None:
    env = Env(tmp_path / "world")
    assert not (env.state / "ledger.sqlite3").exists()
    with Daemon(env) as daemon:
        statuses = [
            subprocess.Popen(
                [*cli_command(), "status"],
                env=env.environ(),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(3)
        ]
        outputs = [proc.communicate(timeout=60) for proc in statuses]
        daemon.wait_ready(timeout=60)
        daemon.stop()
    for proc, (_out, err) in zip(statuses, outputs, strict=True):
        assert proc.returncode == 0, err
        assert "Traceback" not in err and "locked" not in err
    log = daemon.output()
    assert "Traceback" not in log and "database is locked" not in log
