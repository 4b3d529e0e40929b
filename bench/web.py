"""The web API's figures: ``python -m bench.web [--quick]``.

- ``GET /tracks?limit=100`` and ``GET /status`` latency (p50/p99) with 100,000 tracks in the
  ledger (90 % done, 5 % failed, the rest pending), over HTTP to Uvicorn on loopback, the way the
  daemon serves them (``WebServer``, in this process).
- SSE fan-out: 20 clients on ``/events``; each sample is a real state change (a worker's claim,
  pending → running, committed to the ledger); the figure is the time from the commit until each
  client has the event (p95 over clients × samples).
- Idle cost of the web: the daemon as a real process with the web on and 5 idle ``/events``
  clients versus the same daemon with ``web.enabled: false``: CPU over a quiet minute and RSS.
- ``spotsyncd run`` → READY=1 with the web on (FastAPI is imported after READY, in its thread).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import yaml
from sqlalchemy import text

from bench.common import bench_env, cpu_seconds, percentile, rss_mb
from bench.startup import time_ready
from spotsyncd.api.server import WebServer
from spotsyncd.core.config import load_config, prepare_dirs
from spotsyncd.intake.links import parse_link
from spotsyncd.ledger import Ledger
from spotsyncd.system.webauth import load_or_create_token
from tests.e2e.harness import Daemon, Env, wait_for
from tests.e2e.test_web import web_url
from tests.fakes.sse import SseClient

TRACKS_P99_MS, STATUS_P99_MS, FANOUT_P95_MS = 50.0, 20.0, 200.0
IDLE_CPU_PCT, IDLE_RSS_MB, READY_S = 0.3, 40.0, 1.5


def fill_ledger(ledger: Ledger, count: int) -> None:
    """``count`` tracks: 90 % done (with sizes and times), 5 % failed, 5 % pending."""
    for start in range(0, count, 5000):
        links = [
            parse_link(f"https://example.org/a/{i:06d}.mp3")
            for i in range(start, min(count, start + 5000))
        ]
        ledger.add_links(links)
    now = time.time()
    with ledger.engine.begin() as conn:
        conn.execute(text("UPDATE jobs SET state='done' WHERE id % 20 < 18"))
        conn.execute(
            text(
                "UPDATE jobs SET state='failed', error_class='unavailable', error='gone', "
                "updated_at=:now WHERE id % 20 = 18"
            ),
            {"now": now},
        )
        conn.execute(
            text(
                "UPDATE tracks SET path='A/' || id || '.mp3', size_bytes=4000000, "
                "download_s=2.0, process_s=3.0, done_at=:now - id, title='Song ' || id, "
                "artist='Artist ' || (id % 500) "
                "WHERE id IN (SELECT track_id FROM jobs WHERE state='done')"
            ),
            {"now": now},
        )


def _latencies(client: httpx.Client, path: str, n: int, *, warm: bool = True) -> list[float]:
    if warm:
        client.get(path)
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        response = client.get(path)
        samples.append(time.perf_counter() - started)
        assert response.status_code == 200, response.text
    return samples


def _ms(samples: list[float], q: float) -> float:
    return round(percentile(samples, q) * 1000, 2)


def api_latency(
    folder: Path, tracks: int, requests: int, clients: int, changes: int
) -> dict[str, Any]:
    config_path = folder / "config.yaml"
    config_path.write_text(yaml.safe_dump({"library_dir": str(folder / "library"),
                                           "state_dir": str(folder / "state"),
                                           "web": {"listen": "127.0.0.1:0"}}))  # fmt: skip
    config = load_config(config_path, env={})
    prepare_dirs(config)
    ledger = Ledger(config.ledger_path)
    started = time.monotonic()
    fill_ledger(ledger, tracks)
    fill_s = time.monotonic() - started
    server = WebServer(config, ledger, nudge=lambda: None)
    assert server.start().running and server.wait_ready(30)
    url = str(server.state.url)
    auth = {"Authorization": f"Bearer {load_or_create_token(config.state_dir)}"}
    try:
        with httpx.Client(base_url=url, headers=auth, timeout=30) as client:
            page = _latencies(client, "/api/v1/tracks?limit=100", requests)
            page_done = _latencies(
                client, "/api/v1/tracks?limit=100&state=done&q=Artist%2042", requests
            )
            status = _latencies(client, "/api/v1/status", requests)
            fresh = []  # the first /status after a state change: the aggregates are recomputed
            for _ in range(max(3, requests // 30)):
                assert ledger.claim_next_job("bench") is not None
                fresh += _latencies(client, "/api/v1/status", 1, warm=False)
        streams = [SseClient(url, auth) for _ in range(clients)]
        try:
            fanout = []
            for _ in range(changes):
                event_id = ledger.last_event_id() + 1
                started = time.monotonic()
                job = ledger.claim_next_job("bench")  # pending → running: a 'started' event
                assert job is not None

                def everyone(event_id: int = event_id) -> bool:
                    return all(event_id in s.received_at for s in streams)

                wait_for(everyone, 10, what="every client to get the event")
                fanout += [s.received_at[event_id] - started for s in streams]
                time.sleep(0.05)
        finally:
            for stream in streams:
                stream.close()
    finally:
        server.stop()
        ledger.close()
    return {
        "tracks": tracks,
        "fill_s": round(fill_s, 1),
        "requests": requests,
        "tracks_p50_ms": _ms(page, 50),
        "tracks_p99_ms": _ms(page, 99),
        "tracks_filtered_p99_ms": _ms(page_done, 99),
        "status_p50_ms": _ms(status, 50),
        "status_p99_ms": _ms(status, 99),
        "status_fresh_p50_ms": _ms(fresh, 50),
        "clients": clients,
        "changes": changes,
        "fanout_p50_ms": _ms(fanout, 50),
        "fanout_p95_ms": _ms(fanout, 95),
        "fanout_max_ms": round(max(fanout) * 1000, 2),
    }


def _web_env(root: Path, enabled: bool) -> Env:
    return bench_env(root, web={"enabled": enabled, "listen": "127.0.0.1:0"})


def _idle_daemon(env: Env, seconds: float, clients: int) -> dict[str, float]:
    with Daemon(env) as daemon:
        daemon.wait_ready(60)
        streams: list[SseClient] = []
        if clients:
            base = web_url(env, daemon)
            token = load_or_create_token(env.state)
            streams = [
                SseClient(base, {"Authorization": f"Bearer {token}"}) for _ in range(clients)
            ]
        time.sleep(min(5.0, seconds))  # settle: start-up work, first scheduler ticks
        cpu_before, started = cpu_seconds(daemon.proc.pid), time.monotonic()
        time.sleep(seconds)
        cpu = cpu_seconds(daemon.proc.pid) - cpu_before
        elapsed = time.monotonic() - started
        memory = rss_mb(daemon.proc.pid)
        for stream in streams:
            stream.close()
        daemon.stop()
    return {"cpu_pct": round(100 * cpu / elapsed, 3), "rss_mb": memory["rss_mb"]}


def idle_cost(folder: Path, seconds: float, clients: int, ready_runs: int) -> dict[str, Any]:
    off = _idle_daemon(_web_env(folder / "off", False), seconds, 0)
    on = _idle_daemon(_web_env(folder / "on", True), seconds, clients)
    ready = [time_ready(_web_env(folder / "ready", True), folder) for _ in range(ready_runs)]
    return {
        "idle_seconds": seconds,
        "idle_clients": clients,
        "web_off": off,
        "web_on": on,
        "idle_cpu_pct": on["cpu_pct"],
        "extra_rss_mb": round(on["rss_mb"] - off["rss_mb"], 1),
        "ready_s": round(statistics.median(ready), 3),
    }


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        prog="python -m bench.web",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="tiny inputs: seconds, no verdict")
    parser.add_argument("--tracks", type=int)
    parser.add_argument("--seconds", type=float, help="idle measurement length")
    args = parser.parse_args(argv)
    tracks = args.tracks or (2000 if args.quick else 100_000)
    seconds = args.seconds or (2.0 if args.quick else 60.0)
    with tempfile.TemporaryDirectory(prefix="spotsyncd-bench-web-") as tmp:
        folder = Path(tmp)
        (folder / "api").mkdir()
        result = api_latency(folder / "api", tracks, 30 if args.quick else 300,
                             20, 3 if args.quick else 30)  # fmt: skip
        result.update(idle_cost(folder, seconds, 5, 1 if args.quick else 3))
    result.update(
        tracks_target_ms=TRACKS_P99_MS, status_target_ms=STATUS_P99_MS,
        fanout_target_ms=FANOUT_P95_MS, idle_cpu_target_pct=IDLE_CPU_PCT,
        extra_rss_target_mb=IDLE_RSS_MB, ready_target_s=READY_S,
    )  # fmt: skip
    for key, value in result.items():
        print(f"{key}: {value}")
    return result


if __name__ == "__main__":
    main()
