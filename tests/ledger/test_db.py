"""Opening the ledger: processes racing to create a new one take turns (no "database is
locked"), and opening an existing one takes no write lock."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from spotsyncd.ledger import Ledger

ROOT = Path(__file__).resolve().parents[2]

OPEN_AT = """
import sys, time
from pathlib import Path
start = float(sys.argv[2])
while time.time() < start:
    time.sleep(0.001)
from spotsyncd.ledger import Ledger
ledger = Ledger(Path(sys.argv[1]))
ledger.add_links([])
print(ledger.counts()["pending"])
ledger.close()
"""


@pytest.mark.e2e
def test_processes_opening_a_new_ledger_at_once_take_turns(tmp_path: Path) -> None:
    # Three new ledgers, four processes each, every process told to open its ledger at the
    # same instant (after every interpreter has started and imported): three tries of the race.
    start = time.time() + 4.0
    paths = {round_no: tmp_path / f"round{round_no}" / "ledger.sqlite3" for round_no in range(3)}
    procs = {
        round_no: [
            subprocess.Popen(
                [sys.executable, "-c", OPEN_AT, str(paths[round_no]), str(start)],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )  # fmt: skip
            for _ in range(4)
        ]
        for round_no in range(3)
    }
    for round_no, started in procs.items():
        outcomes = [proc.communicate(timeout=120) for proc in started]
        for proc, (out, err) in zip(started, outcomes, strict=True):
            assert proc.returncode == 0 and out.strip() == "0", err
            assert "locked" not in err and "Traceback" not in err
        ledger = Ledger(paths[round_no])
        assert ledger.counts()["pending"] == 0
        ledger.close()


@pytest.mark.e2e
def test_opening_an_existing_ledger_needs_no_write_lock(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    Ledger(path).close()
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # someone holds the write lock (a long write)
    try:
        started = time.monotonic()
        ledger = Ledger(path)
        assert ledger.counts()["done"] == 0
        ledger.close()
        assert time.monotonic() - started < 5  # not the 30 s busy timeout
    finally:
        writer.execute("ROLLBACK")
        writer.close()
