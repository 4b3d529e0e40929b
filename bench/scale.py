"""Scale-out figures: ``python -m bench.scale [--quick] [--only dispatch|claims|throughput]``.

- **dispatch**: Celery's overhead per job on loopback Redis: from ``Broker.send(job_id)`` in this
  process to the start of ``handle(job_id)`` in a ``run_worker`` process (the worker the CLI
  starts), ``--jobs`` jobs sent one at a time. Target: p95 ≤ 20 ms.
- **claims**: 8 processes claiming from 10,000 pending jobs in one PostgreSQL ledger at once
  (``claim_next_job``: ``FOR UPDATE SKIP LOCKED``); no job may be claimed twice. Target: ≥ 500
  claims/s. The same on SQLite for comparison.
- **throughput**: the same generated tracks through ``spotsyncd run`` with the local backend
  (``download.workers`` 2, SQLite) and through a coordinator with 2 ``spotsyncd worker``
  processes of 1 thread each (Celery on Redis, ledger on PostgreSQL); link file rename → all
  filed; medians of three rounds, the two side by side in each. Target: Celery ≥ 0.9 × local.

Needs redis-server and PostgreSQL (``SPOTSYNCD_TEST_PG``, default 127.0.0.1:5432) like the
tests; a Redis of its own is started on a free port.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.common import bench_env, machine, percentile, silence_resets
from bench.throughput import _FORMATS, make_inputs, run_daemon
from spotsyncd.core.config import load_config
from spotsyncd.core.models import Link, LinkKind, Source
from spotsyncd.ledger import Ledger
from spotsyncd.system.tools import find_ffmpeg
from tests.e2e.harness import Daemon, Env, cli_command
from tests.fakes.http_server import LoopbackServer
from tests.servers import RedisServer, postgres_database

DISPATCH_P95_TARGET_MS = 20.0
CLAIMS_TARGET_PER_S = 500.0
THROUGHPUT_TARGET = 0.9

_WORKER = """
import sys, time
from pathlib import Path
from spotsyncd.core.config import load_config
from spotsyncd.engine.scaleout.celery_queue import run_worker
config = load_config(Path(sys.argv[1]))
out = open(sys.argv[2], "a", buffering=1)
def handle(job_id):
    out.write(f"{job_id} {time.time()}\\n")
    return "ok"
run_worker(config, handle, name="bench", concurrency=1, on_shutdown=lambda: None)
"""


def dispatch(redis_url: str, jobs: int, folder: Path) -> dict[str, Any]:
    from spotsyncd.engine.scaleout.celery_queue import Broker

    config_path = folder / "config.yaml"
    config_path.write_text(
        f"state_dir: {folder}/state\nlibrary_dir: {folder}/lib\n"
        f"queue:\n  backend: celery\n  broker_url: {redis_url}\n",
        encoding="utf-8",
    )
    starts = folder / "starts.txt"
    starts.touch()
    worker = subprocess.Popen([sys.executable, "-c", _WORKER, str(config_path), str(starts)])
    broker = Broker(load_config(config_path))
    try:
        warmup = 20
        sent: dict[int, float] = {}
        for job_id in range(warmup + jobs):
            sent[job_id] = time.time()
            broker.send(job_id)
            # One at a time (the first waits for the worker to start): latency, not queueing.
            _wait_lines(starts, job_id + 1, 120 if job_id == 0 else 30)
            time.sleep(0.01)
    finally:
        broker.close()
        worker.terminate()
        worker.wait(30)
    started = {int(a): float(b) for a, b in (ln.split() for ln in starts.read_text().splitlines())}
    latencies = [(started[i] - sent[i]) * 1000 for i in range(warmup, warmup + jobs)]
    return {
        "jobs": jobs,
        "p50_ms": round(percentile(latencies, 50), 2),
        "p95_ms": round(percentile(latencies, 95), 2),
        "max_ms": round(max(latencies), 2),
        "p95_target_ms": DISPATCH_P95_TARGET_MS,
    }


def _wait_lines(path: Path, count: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while len(path.read_text().splitlines()) < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {len(path.read_text().splitlines())}/{count} tasks started")
        time.sleep(0.01)


_CLAIMER = """
import sys
from pathlib import Path
from spotsyncd.ledger import Ledger
target = sys.argv[1]
ledger = Ledger(Path(target) if target.endswith(".sqlite3") else target)
print("ready", flush=True)
sys.stdin.readline()
ids = []
while (job := ledger.claim_next_job(sys.argv[2])) is not None:
    ids.append(job.job_id)
ledger.close()
print(" ".join(map(str, ids)), flush=True)
"""


def claims(target: str, jobs: int, claimers: int) -> dict[str, Any]:
    ledger = Ledger(Path(target) if target.endswith(".sqlite3") else target)
    try:
        for start in range(0, jobs, 2000):
            ledger.add_links(
                [
                    Link(
                        f"url:http://127.0.0.1/{n}",
                        f"http://127.0.0.1/{n}",
                        Source.GENERIC,
                        LinkKind.UNKNOWN,
                    )  # fmt: skip
                    for n in range(start, min(jobs, start + 2000))
                ]
            )
    finally:
        ledger.close()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _CLAIMER, target, f"c{n}"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for n in range(claimers)
    ]
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    started = time.perf_counter()
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    claimed: list[int] = []
    per_claimer = []
    for proc in procs:
        out, _ = proc.communicate(timeout=600)
        ids = [int(i) for i in out.split()]
        per_claimer.append(len(ids))
        claimed += ids
    elapsed = time.perf_counter() - started
    return {
        "jobs": jobs,
        "claimers": claimers,
        "claimed": len(claimed),
        "claimed_twice": len(claimed) - len(set(claimed)),
        "seconds": round(elapsed, 2),
        "claims_per_s": round(len(claimed) / elapsed, 1),
        "per_claimer": per_claimer,
        "target_per_s": CLAIMS_TARGET_PER_S,
    }


def throughput(
    redis_url: str, tracks: int, seconds: float, folder: Path, rounds: int
) -> dict[str, Any]:
    ffmpeg = find_ffmpeg().path
    sources = folder / "sources"
    sources.mkdir()
    inputs = make_inputs(ffmpeg, sources, tracks, seconds, 2)
    types = dict(_FORMATS)
    with silence_resets(LoopbackServer()) as server:
        urls = [
            server.add(f"/{src.name}", src.read_bytes(), types[src.suffix.lstrip(".")])
            for src in inputs
        ]
        local_runs, celery_runs = [], []
        for n in range(rounds):  # side by side in rounds: both see the same machine
            local = run_daemon(bench_env(folder / f"local{n}", download={"workers": 2}), urls, 1800)
            local_runs.append(float(local["wall_s"]))
            with postgres_database("spotsyncd_bench") as url:
                env = bench_env(
                    folder / f"celery{n}",
                    download={"workers": 1},
                    ledger={"url": url},
                    queue={"backend": "celery", "broker_url": redis_url},
                )
                celery_runs.append(_run_scaled(env, urls, 1800))
    local_s, celery_s = statistics.median(local_runs), statistics.median(celery_runs)
    return {
        "tracks": tracks,
        "input_s": seconds,
        "local_s": round(local_s, 2),
        "celery_s": round(celery_s, 2),
        "celery_vs_local": round(local_s / celery_s, 3),
        "rounds": rounds,
        "local_runs_s": [round(x, 2) for x in local_runs],
        "celery_runs_s": [round(x, 2) for x in celery_runs],
        "target": THROUGHPUT_TARGET,
    }


def _run_scaled(env: Env, urls: list[str], timeout_s: float) -> float:
    command = [*cli_command(), "worker", "--concurrency", "1"]
    with Daemon(env, command=command) as one, Daemon(env, command=command) as two:
        one.wait_ready(120)
        two.wait_ready(120)
        ledger = Ledger(env.ledger_url or env.state / "ledger.sqlite3")
        try:
            for _ in range(600):  # both workers heart-beat before the clock starts
                if len(ledger.live_workers(60)) >= 2:
                    break
                time.sleep(0.1)
        finally:
            ledger.close()
        return _run_coordinator(env, urls, timeout_s)


def _run_coordinator(env: Env, urls: list[str], timeout_s: float) -> float:
    """run_daemon's clock, for a ledger in PostgreSQL."""
    from bench.throughput import library_tracks

    with Daemon(env) as daemon:
        daemon.wait_ready(120)
        staged = env.inbox / ".throughput.txt.part"
        staged.write_text("\n".join(urls) + "\n", encoding="utf-8")
        started = time.perf_counter()
        os.replace(staged, env.inbox / "throughput.txt")
        while library_tracks(env) < len(urls):
            if time.perf_counter() - started > timeout_s or daemon.proc.poll() is not None:
                raise RuntimeError(f"{library_tracks(env)}/{len(urls)} filed\n{daemon.output()}")
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
        daemon.stop()
    return elapsed


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        prog="python -m bench.scale",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="tiny inputs (seconds)")
    parser.add_argument("--only", choices=["dispatch", "claims", "throughput"])
    args = parser.parse_args(argv)
    quick = args.quick
    print(f"load average before: {machine()['load_average']} on {os.cpu_count()} CPUs")
    result: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp, RedisServer() as redis:
        folder = Path(tmp)
        if args.only in (None, "dispatch"):
            (folder / "d").mkdir()
            result["dispatch"] = dispatch(redis.url, 20 if quick else 200, folder / "d")
            print(f"dispatch: {result['dispatch']}")
        if args.only in (None, "claims"):
            jobs = 500 if quick else 10_000
            with postgres_database("spotsyncd_bench") as url:
                result["claims_postgresql"] = claims(url, jobs, 8)
            print(f"claims, PostgreSQL: {result['claims_postgresql']}")
            result["claims_sqlite"] = claims(str(folder / "claims.sqlite3"), jobs, 8)
            print(f"claims, SQLite: {result['claims_sqlite']}")
        if args.only in (None, "throughput"):
            (folder / "t").mkdir()
            tracks, seconds = (4, 5.0) if quick else (24, 60.0)
            result["throughput"] = throughput(
                redis.url, tracks, seconds, folder / "t", 1 if quick else 3
            )
            print(f"throughput: {result['throughput']}")
    return result


if __name__ == "__main__":
    main()
