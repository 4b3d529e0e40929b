"""``/events`` over a real Uvicorn: live job changes within moments, progress, and
``Last-Event-ID`` resuming without loss."""

from __future__ import annotations

import time

import httpx

from spotsyncd.intake.links import parse_link
from tests.api.conftest import Live
from tests.fakes.sse import SseClient


def stream(live: Live, last_event_id: int | None = None) -> SseClient:
    return SseClient(live.url, live.auth, last_event_id)


def test_job_changes_arrive_live_with_ids(live: Live) -> None:
    with stream(live) as events:
        started = time.monotonic()
        live.ledger.add_links([parse_link("https://example.org/one.mp3")])
        queued = events.until(lambda m: m.get("kind") == "queued")
        assert time.monotonic() - started < 2
        assert queued["key"] == "url:https://example.org/one.mp3" and queued["state"] == "pending"
        job = live.ledger.claim_next_job("w1")
        assert job is not None
        assert events.until(lambda m: m.get("kind") == "started")["state"] == "running"
        live.ledger.set_progress(job.job_id, {"stage": "download", "percent": 42.0, "eta": 3})
        progress = events.until(lambda m: m["type"] == "progress" and "percent" in m)
        assert progress["percent"] == 42.0 and progress["stage"] == "download"
        assert "id" not in progress
        live.ledger.fail_job(job.job_id, job.track.id, error_class="unavailable",
                             message="video removed", retryable=False, max_retries=0,
                             backoff_s=0)  # fmt: skip
        failed = events.until(lambda m: m.get("kind") == "failed")
        assert "video removed" in failed["message"] and failed["state"] == "failed"
        assert failed["id"] > queued["id"]


def test_last_event_id_resumes_without_loss(live: Live) -> None:
    with stream(live) as first:
        live.ledger.add_links([parse_link("https://example.org/a.mp3")])
        seen = first.until(lambda m: m.get("kind") == "queued")
    # Disconnected: these happen while nobody listens.
    missed = [f"https://example.org/missed-{i}.mp3" for i in range(600)]  # more than one batch
    live.ledger.add_links([parse_link(u) for u in missed])
    with stream(live, last_event_id=seen["id"]) as resumed:
        got = [resumed.next() for _ in range(600)]
        assert [m["key"] for m in got] == [f"url:{u}" for u in missed]
        ids = [m["id"] for m in got]
        assert ids == sorted(ids) and len(set(ids)) == 600 and ids[0] == seen["id"] + 1
        live.ledger.add_links([parse_link("https://example.org/after.mp3")])
        assert resumed.next()["key"] == "url:https://example.org/after.mp3"


def test_bad_last_event_id_is_a_400(live: Live) -> None:
    response = httpx.get(f"{live.url}/api/v1/events", headers={**live.auth, "Last-Event-ID": "x"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"


def test_stopping_the_server_ends_open_streams(live: Live) -> None:
    client = stream(live)
    started = time.monotonic()
    live.server.stop()
    client.thread.join(5)
    assert not client.thread.is_alive() and time.monotonic() - started < 5
    client.close()
