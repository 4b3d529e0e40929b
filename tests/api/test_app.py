"""The API against the real app and a real ledger: links, status, tracks, audio, follows, health."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from spotsyncd.core.models import JobState, TrackMeta
from spotsyncd.engine.health.status import status_data
from spotsyncd.intake.links import parse_link
from spotsyncd.ledger import Ledger
from tests.api.conftest import Web

API = "/api/v1"


def file_done(ledger: Ledger, url: str, path: str, library: Path, data: bytes) -> str:
    """A track filed as ``path`` (relative to the library) with ``data`` in it."""
    link = parse_link(url)
    ledger.add_links([link])
    job = ledger.claim_next_job("test")
    assert job is not None and job.track.key == link.key
    (library / path).parent.mkdir(parents=True, exist_ok=True)
    (library / path).write_bytes(data)
    ledger.finish_job(job.job_id, job.track.id, path=path, size_bytes=len(data), duration_s=3.0,
                      meta=TrackMeta(title="Tone", artists=("Test Artist",)), info=None,
                      audio_settings="mp3", loudness_lufs=-14.0, download_s=0.1, process_s=0.1,
                      message=path)  # fmt: skip
    return link.key


def test_post_links_queues_refuses_and_knows_done_ones(web: Web) -> None:
    lines = [
        "https://youtu.be/dQw4w9WgXcQ",
        "# a comment",
        "file:///etc/passwd",
        "https://youtu.be/dQw4w9WgXcQ",
        "~/.ssh/id_rsa",
        "x" * 5000,
        "https://example.org/a.mp3",
    ]
    response = web.client.post(f"{API}/links", json={"links": lines})
    assert response.status_code == 202, response.text
    data = response.json()
    outcomes = [(r["line"], r["outcome"], r["key"]) for r in data["results"]]
    assert outcomes == [
        (1, "queued", "youtube:dQw4w9WgXcQ"),
        (3, "refused", None),
        (5, "refused", None),
        (6, "refused", None),
        (7, "queued", "url:https://example.org/a.mp3"),
    ]
    assert "file" in data["results"][1]["reason"] and "4096" in data["results"][3]["reason"]
    assert data["queued"] == 2 and data["refused"] == 3
    assert web.ledger.counts()["pending"] == 2 and web.nudges

    again = web.client.post(f"{API}/links", json={"links": [lines[0]]}).json()
    assert again["results"][0]["outcome"] == "already pending" and again["queued"] == 0


def test_post_links_refuses_bad_bodies_and_changes_nothing(web: Web) -> None:
    for body in (
        {"links": ["https://youtu.be/dQw4w9WgXcQ"], "extra": 1},
        {"links": "https://youtu.be/dQw4w9WgXcQ"},
        {"follow": True},
        [1, 2],
    ):
        response = web.client.post(f"{API}/links", json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"]["code"] == "invalid"
    response = web.client.post(
        f"{API}/links", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert web.ledger.counts()["pending"] == 0


def test_status_is_what_the_cli_says(web: Web) -> None:
    web.client.post(f"{API}/links", json={"links": ["https://youtu.be/dQw4w9WgXcQ"]})
    data = web.client.get(f"{API}/status").json()
    assert data["jobs"]["pending"] == 1
    assert set(data) == set(status_data(web.config, web.ledger))
    cli = subprocess.run(
        [sys.executable, "-m", "spotsyncd", "--config", str(web.config.source), "status", "--json"],
        capture_output=True, text=True, check=True, env={"PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    from_cli = json.loads(cli.stdout)
    assert set(from_cli) == set(data) and from_cli["jobs"] == data["jobs"]


def test_tracks_pages_filters_and_searches(web: Web) -> None:
    links = [parse_link(f"https://example.org/song-{i:03d}.mp3") for i in range(230)]
    web.ledger.add_links(links)
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 100, **({"cursor": cursor} if cursor else {})}
        page = web.client.get(f"{API}/tracks", params=params).json()
        seen += [t["key"] for t in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert pages == 3 and seen == [link.key for link in links]
    found = web.client.get(f"{API}/tracks", params={"q": "song-07"}).json()["items"]
    assert [t["key"] for t in found] == [
        f"url:https://example.org/song-07{i}.mp3" for i in range(10)
    ]
    assert web.client.get(f"{API}/tracks", params={"q": "100%_"}).json()["items"] == []
    assert web.client.get(f"{API}/tracks", params={"state": "done"}).json()["items"] == []
    assert web.client.get(f"{API}/tracks", params={"limit": 501}).status_code == 422
    assert web.client.get(f"{API}/tracks", params={"state": "bogus"}).status_code == 422
    assert web.client.get(f"{API}/tracks", params={"cursor": "!!"}).status_code == 400


def test_track_detail_retry_and_match(web: Web) -> None:
    key = parse_link("https://youtu.be/dQw4w9WgXcQ").key
    web.ledger.add_links([parse_link(key.replace("youtube:", "https://youtu.be/"))])
    job = web.ledger.claim_next_job("test")
    assert job is not None
    web.ledger.fail_job(job.job_id, job.track.id, error_class="unavailable", message="gone",
                        retryable=False, max_retries=0, backoff_s=0)  # fmt: skip
    detail = web.client.get(f"{API}/tracks/{key}").json()
    assert detail["state"] == "failed" and detail["error"] == "gone"
    assert [e["kind"] for e in detail["events"]] == ["queued", "started", "failed"]
    assert web.client.get(f"{API}/tracks/youtube:nope").status_code == 404

    assert web.client.post(f"{API}/tracks/{key}/retry").status_code == 202
    assert web.ledger.track(key).state == JobState.PENDING  # type: ignore[union-attr]

    bad = web.client.post(f"{API}/tracks/{key}/match", json={"url": "file:///etc/passwd"})
    assert bad.status_code == 400 and "file" in bad.json()["error"]["message"]
    ok = web.client.post(f"{API}/tracks/{key}/match", json={"url": "https://example.org/x.mp3"})
    assert ok.status_code == 202
    assert web.ledger.track(key).override_url == "https://example.org/x.mp3"  # type: ignore[union-attr]


def test_audio_is_served_from_the_ledger_with_ranges(web: Web) -> None:
    data = bytes(range(256)) * 40
    key = file_done(web.ledger, "https://example.org/tone.mp3", "A/B/01 - Tone.mp3",
                    web.config.library_dir, data)  # fmt: skip
    url = web.client.get(f"{API}/tracks/{key}").json()["audio_url"]
    assert url.endswith("/audio")
    full = web.client.get(url)
    assert full.status_code == 200 and full.content == data
    assert full.headers["content-type"] == "audio/mpeg" and full.headers["accept-ranges"] == "bytes"
    part = web.client.get(url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == data[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(data)}"
    assert web.client.get(url, headers={"Range": "bytes=999999-"}).status_code == 416

    (web.config.library_dir / "A/B/01 - Tone.mp3").unlink()
    gone = web.client.get(url)
    assert gone.status_code == 404 and "doctor" in gone.json()["error"]["message"]
    assert web.client.get(f"{API}/tracks/{key}").json()["file_present"] is False


def test_follows_add_list_sync_playlist_unfollow(web: Web) -> None:
    url = "https://www.youtube.com/playlist?list=PL0123456789abcdef"
    made = web.client.post(f"{API}/follows", json={"url": url, "every": "2h", "name": "mix"})
    assert made.status_code == 201, made.text
    assert made.json()["interval_s"] == 7200
    assert [f["name"] for f in web.client.get(f"{API}/follows").json()] == ["mix"]
    assert web.client.post(f"{API}/follows/mix/sync").status_code == 202
    assert json.loads((web.config.state_dir / "poll-request.json").read_text()) == ["mix"]
    m3u = web.client.get(f"{API}/follows/mix/playlist.m3u8")
    assert m3u.status_code == 200 and m3u.text.startswith("#EXTM3U")
    single = web.client.post(f"{API}/follows", json={"url": "https://youtu.be/dQw4w9WgXcQ"})
    assert single.status_code == 400 and "single track" in single.json()["error"]["message"]
    bad_every = web.client.post(f"{API}/follows", json={"url": url, "every": "soon"})
    assert bad_every.status_code == 422
    assert web.client.delete(f"{API}/follows/mix").status_code == 200
    assert web.client.delete(f"{API}/follows/mix").status_code == 404


def test_a_podcast_follow_s_options_over_http(web: Web) -> None:
    feed = "https://feeds.example.org/show.xml"
    body = {"url": feed, "keep_last": 3, "since": "2025-01-31", "normalize": "off"}
    made = web.client.post(f"{API}/follows", json=body)
    assert made.status_code == 201, made.text
    assert made.json()["options"] == {"keep_last": 3, "since": "2025-01-31", "normalize": "off"}
    bad = web.client.post(f"{API}/follows", json={"url": feed, "since": "soon"})
    assert bad.status_code == 422 and "YYYY-MM-DD" in bad.text
    assert web.client.post(f"{API}/follows", json={"url": feed, "keep_last": 0}).status_code == 422


def test_health_metrics_and_errors_without_tracebacks(web: Web, monkeypatch: object) -> None:
    assert web.anonymous.get(f"{API}/healthz").json() == {"status": "ok", "ledger": "ok"}
    web.client.post(f"{API}/links", json={"links": ["https://youtu.be/dQw4w9WgXcQ"]})
    metrics = web.client.get(f"{API}/metrics")
    assert metrics.status_code == 200 and metrics.headers["content-type"].startswith("text/plain")
    assert 'spotsyncd_jobs{state="pending"} 1.0' in metrics.text
    assert "spotsyncd_failures_total" in metrics.text or "spotsyncd_failures" in metrics.text

    def broken() -> list[object]:
        raise RuntimeError("secret internals")

    web.ledger.running = broken  # type: ignore[method-assign,assignment]
    client = type(web.client)(web.client.app, base_url=str(web.client.base_url),
                              raise_server_exceptions=False)  # fmt: skip
    client.headers["Authorization"] = f"Bearer {web.token}"
    response = client.get(f"{API}/status")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal"
    assert "secret" not in response.text and "Traceback" not in response.text
