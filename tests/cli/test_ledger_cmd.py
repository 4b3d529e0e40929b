"""``spotsyncd ledger migrate`` and ``ledger copy --to``: a real SQLite ledger into PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from spotsyncd.cli.main import main
from spotsyncd.core.models import Link, LinkKind, ListedItem, Listing, Source, TrackMeta
from spotsyncd.ledger import Ledger
from spotsyncd.ledger.copy import TABLES
from spotsyncd.ledger.migrate import head_revision


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "config.yaml"
    data = {"library_dir": str(tmp_path / "lib"), "state_dir": str(tmp_path / "state")}
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _link(n: int) -> Link:
    return Link(f"youtube:vid{n:08d}", f"https://www.youtube.com/watch?v=vid{n:08d}",
                Source.YOUTUBE, LinkKind.TRACK)  # fmt: skip


def _fill(ledger: Ledger) -> None:
    ledger.add_links([_link(n) for n in range(30)])
    job = ledger.claim_next_job("w")
    assert job is not None
    ledger.finish_job(job.job_id, job.track.id, path="a/b.mp3", size_bytes=5, duration_s=1.0,
                      meta=TrackMeta(title="t"), info=None, audio_settings="mp3",
                      loudness_lufs=None, download_s=1, process_s=1, message="ok")  # fmt: skip
    follow = ledger.add_follow(
        Link("youtube:playlist:PL1", "https://www.youtube.com/playlist?list=PL1",
             Source.YOUTUBE, LinkKind.COLLECTION),
        name="mix", interval_s=3600, options={}, origin="cli",
    )  # fmt: skip
    items = tuple(ListedItem(_link(n), TrackMeta(title=f"s{n}")) for n in range(25, 40))
    ledger.apply_listing(follow.id, Listing("Mix", items, "fp"), now=1.0)
    file_id = ledger.start_inbox_file("links.txt")
    ledger.add_inbox_lines(file_id, [(1, _link(50).url, _link(50), None), (2, "junk", None, "x")])


def _counts(ledger: Ledger) -> dict[str, int]:
    with ledger.engine.connect() as conn:
        return {t.name: int(conn.execute(select(func.count()).select_from(t)).scalar_one())
                for t in TABLES}  # fmt: skip


@pytest.mark.e2e
def test_copy_to_postgresql_is_complete_and_safe_to_rerun(
    tmp_path: Path, postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path)
    source = Ledger(tmp_path / "state" / "ledger.sqlite3")
    _fill(source)
    expected = _counts(source)
    states = source.counts()
    source.close()

    assert main(["ledger", "copy", "--to", postgres_url, "--config", str(config)]) == 0
    first = capsys.readouterr().out
    assert "done: every row is in" in first and "MISSING" not in first

    assert main(["ledger", "copy", "--to", postgres_url, "--config", str(config)]) == 0
    again = capsys.readouterr().out
    assert all(" copied now       0 " in line for line in again.splitlines()[:-1])

    target = Ledger(postgres_url)
    try:
        assert _counts(target) == expected
        expected_states = {
            "pending": 40,
            "waiting": 0,
            "running": 0,
            "done": 1,
            "failed": 0,
            "review": 0,
            "skipped": 0,
        }
        assert target.counts() == states == expected_states
        assert target.follow("mix") is not None
        # The id sequences moved past the copied rows: new work gets fresh ids.
        added = target.add_links([_link(99)])
        assert added[0].created and added[0].track_id == expected["tracks"] + 1
    finally:
        target.close()


def test_copy_refuses_a_bad_target_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path)
    code = main(["ledger", "copy", "--to", "mysql://u:pw@host/db", "--config", str(config)])
    err = capsys.readouterr().err
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert "--to:" in err and "pw" not in err


def test_migrate_reports_the_revision(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = _config(tmp_path)
    assert main(["ledger", "migrate", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert f"schema revision {head_revision()} (newest: {head_revision()})" in out
