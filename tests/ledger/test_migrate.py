"""Alembic migrations: new ledgers, old (pre-Alembic) ledgers, newer ledgers, and races."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from spotsyncd.core.errors import LedgerUnavailableError
from spotsyncd.ledger import Ledger
from spotsyncd.ledger.migrate import BASELINE, head_revision, state

DATA = Path(__file__).resolve().parents[1] / "data"


# SQLite cannot reflect the expression index ix_jobs_due, so Alembic skips comparing it there
# (PostgreSQL compares it); tests/ledger/test_ledger.py checks the claim uses it.
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based")
def test_a_new_ledger_is_at_the_newest_revision_and_matches_the_tables(ledger: Ledger) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from spotsyncd.ledger.schema import metadata

    now = state(ledger.engine)
    assert now.current == head_revision() and now.up_to_date
    with ledger.engine.connect() as conn:
        diff = [d for d in compare_metadata(MigrationContext.configure(conn), metadata)
                if not _repeats_primary_key(d)]  # fmt: skip
        conn.rollback()
    # schema.py changed without a revision (or the other way round) shows up here.
    assert diff == [], f"schema.py and migrations/versions differ: {diff}"


def _repeats_primary_key(change: object) -> bool:
    """PostgreSQL reflects no UNIQUE that repeats the primary key (follow_items has one)."""
    if not (isinstance(change, tuple) and change[0] == "add_constraint"):
        return False
    from spotsyncd.ledger.schema import metadata

    constraint = change[1]
    primary = {c.name for c in metadata.tables[constraint.table.name].primary_key.columns}
    return {c.name for c in constraint.columns} == primary


def test_a_pre_alembic_ledger_is_stamped_not_recreated(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.executescript((DATA / "ledger_schema_v1.sql").read_text())
    created_before = _created_at(path)

    ledger = Ledger(path)
    try:
        assert state(ledger.engine).up_to_date
        assert ledger.counts()["pending"] == 3  # its links are still there
        assert ledger.claim_next_job("w") is not None
    finally:
        ledger.close()
    assert _created_at(path) == created_before  # not recreated
    with sqlite3.connect(path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"alembic_version", "workers", "tracks", "jobs"} <= tables


def _created_at(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        row = conn.execute("SELECT value FROM schema_meta WHERE name='created_at'").fetchone()
    return str(row[0])


def test_a_ledger_from_a_newer_spotsyncd_is_refused_with_a_clear_message(
    tmp_path: Path,
) -> None:
    path = tmp_path / "ledger.sqlite3"
    Ledger(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    with pytest.raises(LedgerUnavailableError, match="newer spotsyncd; upgrade spotsyncd"):
        Ledger(path)


def test_the_baseline_is_the_first_revision() -> None:
    from spotsyncd.ledger.migrate import _script

    bases = _script().get_bases()
    assert bases == [BASELINE]
    assert [head_revision()] == _script().get_heads()  # the quick reading agrees with alembic


def test_an_unreachable_database_is_one_clear_error() -> None:
    url = "postgresql+psycopg://spotsyncd:secret@127.0.0.1:9/nothing"
    with pytest.raises(LedgerUnavailableError) as caught:
        Ledger(url)
    message = str(caught.value)
    assert "secret" not in message and "***" in message
    assert "start PostgreSQL or correct 'ledger.url'" in message


_OPEN = """
import sys
from pathlib import Path
from spotsyncd.ledger import Ledger
target = sys.argv[1]
print("ready", flush=True)
sys.stdin.readline()
ledger = Ledger(Path(target) if target.endswith(".sqlite3") else target)
ledger.counts()
ledger.close()
"""


def _race(target: str, processes: int = 4) -> None:
    """Start ``processes`` interpreters and let them open ``target`` at the same instant
    (each waits, imports done, for the word on its stdin)."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _OPEN, target],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        for proc in procs:
            _out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
            assert "Traceback" not in err and "locked" not in err
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


@pytest.mark.e2e
def test_processes_opening_one_new_sqlite_ledger_at_once_take_turns(tmp_path: Path) -> None:
    target = tmp_path / "state" / "ledger.sqlite3"
    _race(str(target))
    ledger = Ledger(target)
    try:
        assert state(ledger.engine).up_to_date
    finally:
        ledger.close()


def test_processes_opening_one_new_postgresql_ledger_at_once_take_turns(
    postgres_url: str,
) -> None:
    _race(postgres_url)
    engine = create_engine(postgres_url)
    try:
        with engine.connect() as conn:
            versions = conn.execute(text("SELECT version_num FROM alembic_version")).all()
    finally:
        engine.dispose()
    assert [v[0] for v in versions] == [head_revision()]


def test_an_older_revision_is_told_by_the_chain_not_by_its_number() -> None:
    from spotsyncd.ledger.migrate import head_revision, is_older

    # Branches merged later chain on after higher numbers (0004 follows 0008 here).
    assert is_older("0008_collections") and is_older("0006_source_health")
    assert is_older("0001_baseline")
    assert not is_older(head_revision())
    assert not is_older("9999_from_a_newer_spotsyncd")
