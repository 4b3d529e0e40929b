from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from spotsyncd.core.errors import UserError
from spotsyncd.core.models import (
    Identity,
    JobState,
    Link,
    LinkKind,
    ListedItem,
    Listing,
    Source,
    TrackMeta,
    Verdict,
)
from spotsyncd.ledger import Ledger
from spotsyncd.ledger.schema import SCHEMA_VERSION


def link(n: int) -> Link:
    return Link(
        f"url:http://127.0.0.1/{n}.mp3",
        f"http://127.0.0.1/{n}.mp3",
        Source.GENERIC,
        LinkKind.UNKNOWN,
    )


def test_pragmas_and_schema_version(sqlite_ledger: Ledger) -> None:
    ledger = sqlite_ledger
    with ledger.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        version = conn.exec_driver_sql(
            "SELECT value FROM schema_meta WHERE name='schema_version'"
        ).scalar()
        conn.rollback()
    assert int(version) == SCHEMA_VERSION
    assert ledger.integrity_check() == []


def test_add_is_idempotent_and_done_is_never_redone(ledger: Ledger) -> None:
    first = ledger.add_links([link(1), link(2)])
    assert [a.created for a in first] == [True, True]
    again = ledger.add_links([link(1)])
    assert again[0].created is False and again[0].state == JobState.PENDING
    job = ledger.claim_next_job("w")
    assert job is not None
    ledger.finish_job(
        job.job_id,
        job.track.id,
        path="a.mp3",
        size_bytes=1,
        duration_s=1.0,
        meta=TrackMeta(title="t"),
        info=None,
        audio_settings="mp3",
        loudness_lufs=None,
        download_s=0,
        process_s=0,
        message="ok",
    )
    after = ledger.add_links([link(1)])
    assert after[0].state == JobState.DONE and not after[0].requeued
    assert ledger.retry([link(1).key]) == 0
    assert ledger.counts() == {
        "pending": 1,
        "waiting": 0,
        "running": 0,
        "done": 1,
        "failed": 0,
        "review": 0,
        "skipped": 0,
    }


def test_claims_are_exclusive_across_threads(ledger: Ledger) -> None:
    ledger.add_links([link(n) for n in range(60)])
    claimed: list[int] = []
    lock = threading.Lock()

    def worker(name: str) -> None:
        while True:
            job = ledger.claim_next_job(name)
            if job is None:
                return
            with lock:
                claimed.append(job.job_id)

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(claimed) == sorted(set(claimed)) and len(claimed) == 60


@pytest.mark.e2e
def test_claims_take_jobs_in_order_and_postgresql_reads_one_index_entry(ledger: Ledger) -> None:
    """Due jobs without a retry time first, then by id; on PostgreSQL the claim walks the
    partial index ix_jobs_due instead of sorting every queued job (the query must repeat the
    index's WHERE clause word for word for the planner to use it)."""
    ledger.add_links([link(n) for n in range(500)])
    if ledger.engine.dialect.name == "postgresql":
        from sqlalchemy import text

        from spotsyncd.ledger.tracks.jobs import due_jobs

        bound = due_jobs(False).params(claim_now=time.time())
        sql = str(bound.compile(ledger.engine, compile_kwargs={"literal_binds": True}))
        with ledger.engine.connect() as conn:
            conn.execute(text("ANALYZE jobs"))
            plan = "\n".join(row[0] for row in conn.exec_driver_sql("EXPLAIN " + sql))
            conn.rollback()
        assert "ix_jobs_due" in plan and "Sort" not in plan, plan
    first = ledger.claim_next_job("w")
    assert first is not None
    ledger.defer_job(first.job_id, first.track.id, time.time() - 1, "due again, with a time")
    order = [job.job_id for job in iter(lambda: ledger.claim_next_job("w"), None)]
    assert order == sorted(order[:-1]) + [first.job_id]  # the one with a retry time goes last


def test_retry_backoff_then_failed(ledger: Ledger) -> None:
    ledger.add_links([link(1)])
    delays = []
    for _ in range(4):
        job = ledger.claim_next_job("w", now=time.time() + 3600)
        assert job is not None
        now = time.time()
        step = ledger.fail_job(
            job.job_id,
            job.track.id,
            error_class="transient",
            message="HTTP 503",
            retryable=True,
            max_retries=3,
            backoff_s=1.0,
        )
        delays.append(None if step.retry_at is None else step.retry_at - now)
    assert delays[3] is None  # 1 attempt + 3 retries, no slow ladder: failed
    assert 1.0 <= delays[0] <= 1.3 and 2.0 <= delays[1] <= 2.6 and 4.0 <= delays[2] <= 5.1
    track = ledger.track(link(1).key)
    assert track is not None and track.state == JobState.FAILED and track.error == "HTTP 503"
    last = ledger.events_for(track.id)[-1]
    assert last["kind"] == "failed" and "failed for good after 4 attempts" in last["message"]
    assert "will retry" not in last["message"]


def test_retry_failed_leaves_what_a_follow_set_aside(ledger: Ledger) -> None:
    """A keep_last podcast's back catalogue (or a --new-only follow's old items) is set aside,
    not failed for a reason to fix: 'retry --failed' must not fetch hundreds of them. Named by
    its key, one still comes back."""
    ledger.add_links([link(1), link(2), link(3)])
    ledger.set_aside([link(2).key, link(3).key], "older than the newest 2 episodes (keep_last)")
    job = ledger.claim_next_job("w")
    assert job is not None and job.track.key == link(1).key
    ledger.fail_job(job.job_id, job.track.id, error_class="permanent", message="HTTP 404",
                    retryable=False, max_retries=0, backoff_s=1.0)  # fmt: skip
    assert ledger.retry(failed=True) == 1
    states = {k: ledger.track(k).state for k in (link(1).key, link(2).key)}  # type: ignore[union-attr]
    assert states == {link(1).key: JobState.PENDING, link(2).key: JobState.SKIPPED}
    # Set aside is not a failure: the counts (status, the dashboard, /metrics) say so
    counts = ledger.counts()
    assert counts["skipped"] == 2 and counts["failed"] == 0, counts
    assert ledger.retry([link(2).key]) == 1


def test_slow_retries_wait_then_fail_for_good(ledger: Ledger) -> None:
    """Fast retries, then the job waits (its own state) for each slow retry, then fails."""
    ledger.add_links([link(1)])
    seen: list[tuple[str, float | None]] = []
    clock = time.time()
    for _ in range(1 + 2 + 3):
        job = ledger.claim_next_job("w", now=clock)
        assert job is not None, seen
        step = ledger.fail_job(
            job.job_id,
            job.track.id,
            error_class="transient",
            message="HTTP 503",
            retryable=True,
            max_retries=2,
            backoff_s=1.0,
            slow_retries=(900.0, 3600.0, 86400.0),
        )
        track = ledger.track(link(1).key)
        assert track is not None and track.state == step.state
        seen.append((str(step.state), None if step.retry_at is None else step.retry_at))
        if step.state == JobState.WAITING:
            assert ledger.counts()["waiting"] == 1 and ledger.counts()["pending"] == 0
            # not due before its time, due after it
            assert ledger.claim_next_job("w", now=step.retry_at - 5) is None
            assert ledger.next_due_at() == step.retry_at
        clock = (step.retry_at or clock) + 1
    states = [s for s, _ in seen]
    assert states == ["pending", "pending", "waiting", "waiting", "waiting", "failed"]
    history = [e["message"] for e in ledger.events_for(ledger.track(link(1).key).id)]  # type: ignore[union-attr]
    assert any("fast retry 2 of 2" in m for m in history)
    assert any("waiting until" in m and "slow retry 3 of 3" in m for m in history)
    assert "failed for good after 6 attempts" in history[-1]


def test_dropping_a_waiting_link_again_makes_it_due_now(ledger: Ledger) -> None:
    ledger.add_links([link(1)])
    job = ledger.claim_next_job("w")
    assert job is not None
    ledger.fail_job(
        job.job_id, job.track.id, error_class="transient", message="HTTP 503",
        retryable=True, max_retries=0, backoff_s=1, slow_retries=(3600.0,),
    )  # fmt: skip
    assert ledger.counts()["waiting"] == 1
    added = ledger.add_links([link(1)])
    assert added[0].requeued and ledger.counts()["pending"] == 1
    assert ledger.claim_next_job("w") is not None


def test_permanent_failure_is_immediate_and_requeued_when_asked_again(ledger: Ledger) -> None:
    ledger.add_links([link(1)])
    job = ledger.claim_next_job("w")
    assert job is not None
    step = ledger.fail_job(
        job.job_id,
        job.track.id,
        error_class="permanent",
        message="404",
        retryable=False,
        max_retries=3,
        backoff_s=1,
        slow_retries=(60.0,),
    )
    assert step.final and step.retry_at is None
    assert "retrying will not help" in step.describe()
    assert ledger.counts()["failed"] == 1
    added = ledger.add_links([link(1)])
    assert added[0].requeued and ledger.counts()["pending"] == 1


def test_crash_reset_and_not_due_jobs_wait(ledger: Ledger) -> None:
    ledger.add_links([link(1), link(2)])
    job = ledger.claim_next_job("w")
    assert job is not None and job.attempts == 1
    assert ledger.reset_running() == 1  # a kill -9 left it running
    again = ledger.claim_next_job("w")
    assert again is not None and again.job_id == job.job_id and again.attempts == 1
    ledger.defer_job(again.job_id, again.track.id, time.time() + 60, "circuit open")
    other = ledger.claim_next_job("w")
    assert other is not None and other.job_id != job.job_id
    assert ledger.claim_next_job("w") is None
    due = ledger.next_due_at()
    assert due is not None and due > time.time() + 50


def test_collections_expand_and_report(ledger: Ledger) -> None:
    parent = Link(
        "url:http://127.0.0.1/feed.xml",
        "http://127.0.0.1/feed.xml",
        Source.GENERIC,
        LinkKind.UNKNOWN,
    )
    file_id = ledger.start_inbox_file("a.txt")
    ledger.add_inbox_lines(file_id, [(1, parent.url, parent, None), (2, "junk", None, "bad")])
    job = ledger.claim_next_job("w")
    assert job is not None
    listing = Listing(
        "Feed", tuple(ListedItem(link(n), TrackMeta(title=f"ep{n}")) for n in range(3)), "fp"
    )
    ledger.expand_collection(job.track.id, listing)
    assert ledger.counts() == {
        "pending": 3,
        "waiting": 0,
        "running": 0,
        "done": 1,
        "failed": 0,
        "review": 0,
        "skipped": 0,
    }
    lines = ledger.report_lines(file_id)
    assert lines[0].children == {"pending": 3} and lines[1].state == "refused"
    assert [c.title for c in ledger.children(job.track.id)] == ["ep0", "ep1", "ep2"]


def test_paths_are_reserved_once(ledger: Ledger) -> None:
    a, b = ledger.add_links([link(1), link(2)])
    assert ledger.reserve_path(a.track_id, "x/y.mp3")
    assert not ledger.reserve_path(b.track_id, "x/y.mp3")
    assert ledger.path_owner("x/y.mp3") == link(1).key


def test_override_requeues_a_done_track(ledger: Ledger) -> None:
    ledger.add_links([link(1)])
    job = ledger.claim_next_job("w")
    assert job is not None
    ledger.finish_job(
        job.job_id,
        job.track.id,
        path="a.mp3",
        size_bytes=1,
        duration_s=1.0,
        meta=TrackMeta(),
        info=None,
        audio_settings="mp3",
        loudness_lufs=None,
        download_s=0,
        process_s=0,
        message="ok",
    )
    row = ledger.set_override(link(1).key, "http://127.0.0.1/other.mp3")
    assert row is not None and row.state == JobState.PENDING
    assert row.override_url == "http://127.0.0.1/other.mp3"
    # The old file is remembered for replacing, not treated as already filed.
    assert row.path is None and row.replaces_path == "a.mp3"
    running = ledger.claim_next_job("w")
    assert running is not None
    with pytest.raises(UserError, match="being processed"):
        ledger.set_override(link(1).key, "http://127.0.0.1/third.mp3")


def test_second_process_sees_committed_work(tmp_path: Path) -> None:
    one = Ledger(tmp_path / "l.sqlite3")
    two = Ledger(tmp_path / "l.sqlite3")
    try:
        one.add_links([link(1)])
        assert two.counts()["pending"] == 1
    finally:
        one.close()
        two.close()


def _claim_for_review(ledger: Ledger) -> int:
    ledger.add_links([link(1)])
    job = ledger.claim_next_job("w")
    assert job is not None
    checked = [
        {"url": "http://127.0.0.1/first.mp3", "score": 0.9, "verdict": "mismatch",
         "verdict_reason": "the audio is another recording"},
        {"url": "http://127.0.0.1/second.mp3", "score": 0.8},
    ]  # fmt: skip
    asked = Identity(verdict=Verdict.MISMATCH, reason="the audio is another recording",
                     recording_id="cb2cc207-8125-445c-9ef9-6ea44eee959a")  # fmt: skip
    ledger.hold_for_review(job.job_id, job.track.id, message="no candidate verified",
                           checked=checked, identity=asked)  # fmt: skip
    return job.track.id


def test_review_keeps_the_candidates_and_waits_for_the_user(ledger: Ledger) -> None:
    _claim_for_review(ledger)
    row = ledger.track(link(1).key)
    assert row is not None and row.state == JobState.REVIEW and row.error == "no candidate verified"
    assert row.to_json()["verdict"] == "mismatch"
    assert row.identity is not None and row.identity.recording_id.startswith("cb2cc207")
    assert ledger.candidates(link(1).key)[0]["verdict"] == "mismatch"
    assert ledger.counts()["review"] == 1 and ledger.claim_next_job("w") is None
    assert ledger.retry([link(1).key]) == 0  # a review is not a failure to retry
    assert [e["kind"] for e in ledger.events_for(row.id)][-1] == "review"


def test_accepting_a_review_files_the_matchers_choice_or_the_one_given(ledger: Ledger) -> None:
    _claim_for_review(ledger)
    accepted = ledger.accept_review(link(1).key)
    assert accepted is not None and accepted.state == JobState.PENDING
    assert accepted.override_url == "http://127.0.0.1/first.mp3"
    with pytest.raises(UserError, match="not in review"):
        ledger.accept_review(link(1).key)
    assert ledger.accept_review("url:http://127.0.0.1/none.mp3") is None


def test_lookup_answers_are_kept_for_every_process(ledger: Ledger) -> None:
    assert ledger.cached_answer("musicbrainz", "isrc:X", 60) is None
    ledger.remember_answer("musicbrainz", "isrc:X", "null")
    ledger.remember_answer("musicbrainz", "isrc:X", '{"recordings": []}')  # a newer answer
    assert ledger.cached_answer("musicbrainz", "isrc:X", 60) == '{"recordings": []}'
    assert ledger.cached_answer("acoustid", "isrc:X", 60) is None
    assert ledger.cached_answer("musicbrainz", "isrc:X", -1) is None  # too old
