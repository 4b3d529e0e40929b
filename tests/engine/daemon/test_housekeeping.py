"""The daemon's chores: staging after a crash keeps only what can resume; runtime.json says
who runs and goes away at stop; a thread that dies is one line in the log, not a traceback."""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path

import pytest

from spotsyncd.core.config import Config, load_config
from spotsyncd.core.errors import SystemProblem
from spotsyncd.engine.daemon import housekeeping
from spotsyncd.intake.links import parse_line
from spotsyncd.ledger import Ledger


def _config(tmp_path: Path) -> Config:
    path = tmp_path / "config.yaml"
    path.write_text(f"library_dir: {tmp_path}/lib\nstate_dir: {tmp_path}/state\n")
    config = load_config(path, env={})
    config.staging_dir.mkdir(parents=True)
    return config


def test_staging_keeps_only_the_jobs_that_can_resume(tmp_path: Path) -> None:
    config = _config(tmp_path)
    ledger = Ledger(config.ledger_path)
    try:
        ledger.add_links([parse_line(f"http://127.0.0.1:9/{n}.mp3") for n in ("a", "b")])
        job = ledger.claim_next_job("worker-1")
        assert job is not None
        ledger.fail_job(job.job_id, job.track.id, error_class="http", message="gone",
                        retryable=False, max_retries=0, backoff_s=0.0)  # fmt: skip
        failed, pending = sorted(ledger.tracks(), key=lambda t: t.state != "failed")
        assert (failed.state, pending.state) == ("failed", "pending")
        for name in (f"track-{failed.id}", f"track-{pending.id}", "track-999"):
            (config.staging_dir / name).mkdir()
            (config.staging_dir / name / "audio.part").write_bytes(b"part")
        (config.staging_dir / "stray.tmp").write_bytes(b"")
        housekeeping.clean_staging(config, ledger)
    finally:
        ledger.close()
    assert sorted(p.name for p in config.staging_dir.iterdir()) == [f"track-{pending.id}"]
    assert (config.staging_dir / f"track-{pending.id}" / "audio.part").read_bytes() == b"part"


def test_runtime_file_says_who_runs_and_goes_at_stop(tmp_path: Path) -> None:
    config = _config(tmp_path)
    housekeeping.write_runtime(config, 1234.5, {"url": "http://127.0.0.1:1/"})
    data = json.loads((config.state_dir / housekeeping.RUNTIME_FILE).read_text())
    assert data["pid"] == os.getpid() and data["started_at"] == 1234.5
    assert data["library_dir"] == str(config.library_dir)
    assert data["web"] == {"url": "http://127.0.0.1:1/"}
    housekeeping.remove_runtime(config)
    assert not (config.state_dir / housekeeping.RUNTIME_FILE).exists()
    housekeeping.remove_runtime(config)  # twice: nothing to remove is fine


def test_a_thread_that_dies_of_a_known_problem_is_one_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def fail() -> None:
        raise SystemProblem("the disk is full")

    previous = threading.excepthook
    threading.excepthook = housekeeping.thread_died
    try:
        with caplog.at_level(logging.INFO, logger="spotsyncd.engine.daemon"):
            thread = threading.Thread(target=fail, name="spotsyncd-test")
            thread.start()
            thread.join()
    finally:
        threading.excepthook = previous
    (record,) = [r for r in caplog.records if r.name == "spotsyncd.engine.daemon"]
    assert "spotsyncd-test stopped" in record.getMessage()
    assert "the disk is full" in record.getMessage()
    assert record.exc_info is None  # an operational problem: no traceback
