"""``/activity``: the event log newest first, paged and filtered, with names instead of keys;
``/retries``: every failed track again, or every waiting one now."""

from __future__ import annotations

import time

from spotsyncd.intake.links import parse_line, parse_link
from tests.api.conftest import Web

API = "/api/v1"


def _fail(web: Web, retryable: bool) -> str:
    job = web.ledger.claim_next_job("test")
    assert job is not None
    web.ledger.fail_job(job.job_id, job.track.id, error_class="http", message="HTTP 404: gone",
                        retryable=retryable, max_retries=1, backoff_s=600)  # fmt: skip
    return job.track.key


def test_the_log_is_newest_first_paged_filtered_and_named(web: Web) -> None:
    search = parse_line("Daft Punk - Veridis Quo")
    web.ledger.add_links([parse_link("http://files.example.com/music/Song%20One.mp3"), search])
    page = web.client.get(f"{API}/activity?limit=1").json()
    assert [e["kind"] for e in page["items"]] == ["queued"]
    assert page["items"][0]["label"] == "Daft Punk - Veridis Quo"  # what was typed, not the key
    older = web.client.get(f"{API}/activity?before={page['next_before']}").json()["items"]
    assert [e["label"] for e in older] == ["files.example.com · Song One.mp3"]
    assert older[0]["id"] < page["items"][0]["id"]
    assert "queued" in page["kinds"]
    assert web.client.get(f"{API}/activity?q=veridis").json()["items"][0]["key"] == search.key
    assert web.client.get(f"{API}/activity?kind=done").json()["items"] == []
    assert web.client.get(f"{API}/activity?level=error").json()["items"] == []


def test_retry_all_failed_and_all_waiting_now(web: Web) -> None:
    web.ledger.add_links([parse_link("https://youtu.be/dQw4w9WgXcQ"),
                          parse_link("https://youtu.be/aaaaaaaaaaa")])  # fmt: skip
    failed = _fail(web, retryable=False)
    waiting = _fail(web, retryable=True)  # a fast retry due in 600 s
    assert web.ledger.track(waiting).retry_at > time.time()  # type: ignore[union-attr]
    answer = web.client.post(f"{API}/retries", json={"which": "failed"})
    assert answer.status_code == 202
    assert answer.json() == {"count": 1, "message": "1 track queued again"}
    assert web.ledger.track(failed).state == "pending"  # type: ignore[union-attr]
    assert web.ledger.track(waiting).retry_at is not None  # type: ignore[union-attr]
    answer = web.client.post(f"{API}/retries", json={"which": "waiting"})
    assert answer.json()["count"] == 1
    assert web.ledger.track(waiting).retry_at is None  # type: ignore[union-attr]
    assert web.client.post(f"{API}/retries", json={"which": "failed"}).json()["count"] == 0
    assert web.client.post(f"{API}/retries", json={"which": "done"}).status_code == 422
    assert web.nudges  # the workers were woken


def test_track_rows_are_newest_first_on_asking_with_a_short_reason(web: Web) -> None:
    web.ledger.add_links([parse_link(f"https://youtu.be/{c * 11}") for c in "abc"])
    newest = web.client.get(f"{API}/tracks?order=newest&limit=2").json()
    assert [t["key"] for t in newest["items"]] == ["youtube:ccccccccccc", "youtube:bbbbbbbbbbb"]
    rest = web.client.get(f"{API}/tracks?order=newest&cursor={newest['next_cursor']}").json()
    assert [t["key"] for t in rest["items"]] == ["youtube:aaaaaaaaaaa"]
    oldest = web.client.get(f"{API}/tracks").json()["items"]
    assert oldest[0]["key"] == "youtube:aaaaaaaaaaa"  # the default is unchanged
    job = web.ledger.claim_next_job("test")
    assert job is not None
    long = "; ".join(["cannot reach music.example.com: name resolution failed"] * 8)
    web.ledger.fail_job(job.job_id, job.track.id, error_class="offline", message=long,
                        retryable=True, max_retries=3, backoff_s=60)  # fmt: skip
    row = web.client.get(f"{API}/tracks/{job.track.key}").json()
    assert row["error"] == long and len(row["reason"]) <= 90
    assert row["reason"] == "cannot reach music.example.com: name resolution failed"
