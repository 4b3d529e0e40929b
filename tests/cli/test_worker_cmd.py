"""``spotsyncd worker --check``: healthy only while a worker on this host heart-beats into the
ledger (the health check of a worker container, which serves no web)."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
import yaml

from spotsyncd.cli.main import main
from spotsyncd.ledger import Ledger


@pytest.fixture
def config(tmp_path: Path) -> Path:
    state = tmp_path / "state"
    state.mkdir()
    path = tmp_path / "config.yaml"
    data = {
        "library_dir": str(tmp_path / "lib"),
        "state_dir": str(state),
        "queue": {"worker_timeout": "10s"},
    }
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _register(config: Path, name: str, host: str) -> Ledger:
    ledger = Ledger(config.parent / "state" / "ledger.sqlite3")
    ledger.register_worker(name, role="worker", host=host, pid=7, version="x", concurrency=2)
    return ledger


def _check(config: Path) -> int:
    return main(["worker", "--check", "--config", str(config)])


def test_no_worker_is_unhealthy_and_says_what_to_do(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _register(config, "elsewhere:7:abc", "another-host").close()
    assert _check(config) == 1
    err = capsys.readouterr().err
    assert f"no 'spotsyncd worker' on {socket.gethostname()}" in err
    assert "in the last 10s" in err and "spotsyncd doctor" in err


def test_a_worker_heart_beating_on_this_host_is_healthy_until_it_stops_or_goes_silent(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = f"{socket.gethostname()}:7:abc"
    ledger = _register(config, name, socket.gethostname())
    try:
        assert _check(config) == 0
        assert f"ok: worker {name} heart-beat 0s ago" in capsys.readouterr().out
        ledger.worker_stopped(name)
        assert _check(config) == 1
        ledger.register_worker(
            name, role="worker", host=socket.gethostname(), pid=7, version="x", concurrency=2
        )
        assert _check(config) == 0
        # silent for longer than queue.worker_timeout: gone, as the coordinator sees it
        from sqlalchemy import update

        from spotsyncd.ledger.schema import workers

        with ledger.engine.begin() as conn:
            conn.execute(update(workers).values(seen_at=time.time() - 11))
        assert _check(config) == 1
    finally:
        ledger.close()
