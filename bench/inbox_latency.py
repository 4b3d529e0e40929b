"""Measure inbox latency: ``python -m bench.inbox_latency [--quick]``.

With ``spotsyncd run`` as a process, drops ``--samples`` link files into the inbox one at a
time, alternating the two ways writers finish a file: written elsewhere and renamed in (``mv``,
editors) and written in place and closed. Each sample is the time from the rename or the
``close()`` until the file's job is in the ledger (polled every few milliseconds with
``Ledger.counts``). Each file names one new, valid loopback audio URL; the next sample waits
until that job has finished, so every sample meets an idle daemon. Target p95 <= 0.5 s.

``--quick``: 4 samples.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.common import bench_env, percentile, silence_resets
from bench.processing import make_music
from spotsyncd.ledger import Ledger
from spotsyncd.system.tools import find_ffmpeg
from tests.e2e.harness import Daemon
from tests.fakes.http_server import LoopbackServer

P95_TARGET_S = 0.5
_POLL_S = 0.002


def _jobs(ledger: Ledger) -> tuple[int, int]:
    """(all jobs, finished jobs)."""
    counts = ledger.counts()
    return sum(counts.values()), counts.get("done", 0) + counts.get("failed", 0)


def _wait_jobs(ledger: Ledger, daemon: Daemon, want: int, timeout_s: float, finished: bool) -> None:
    deadline = time.perf_counter() + timeout_s
    while _jobs(ledger)[1 if finished else 0] < want:
        if time.perf_counter() > deadline or daemon.proc.poll() is not None:
            what = "finished" if finished else "in the ledger"
            raise RuntimeError(f"job {want} not {what}\n{daemon.output()[-3000:]}")
        time.sleep(_POLL_S)


def _drop(inbox: Path, name: str, text: str, rename: bool) -> float:
    """Write a link file the given way; the moment it was complete (perf_counter)."""
    if rename:
        staged = inbox.parent / f"{name}.part"  # outside the inbox, like a download folder
        staged.write_text(text, encoding="utf-8")
        staged.rename(inbox / name)
        return time.perf_counter()
    with open(inbox / name, "w", encoding="utf-8") as fh:
        fh.write(text)
    return time.perf_counter()


def run(samples: int, folder: Path) -> dict[str, Any]:
    audio = make_music(find_ffmpeg().path, folder / "tone.mp3", 2.0).read_bytes()
    env = bench_env(folder / "world", download={"workers": 2})
    latencies: dict[str, list[float]] = {"rename": [], "close": []}
    with silence_resets(LoopbackServer()) as server, Daemon(env) as daemon:
        daemon.wait_ready()
        ledger = Ledger(env.state / "ledger.sqlite3")
        try:
            for n in range(samples):
                url = server.add(f"/sample{n}.mp3", audio, "audio/mpeg")
                mode = "rename" if n % 2 == 0 else "close"
                done = _drop(env.inbox, f"sample{n}.txt", url + "\n", rename=mode == "rename")
                _wait_jobs(ledger, daemon, n + 1, timeout_s=10, finished=False)
                latencies[mode].append(time.perf_counter() - done)
                _wait_jobs(ledger, daemon, n + 1, timeout_s=60, finished=True)
                time.sleep(0.2)  # let the watcher and workers go back to sleep
        finally:
            ledger.close()
        daemon.stop()
    every = latencies["rename"] + latencies["close"]
    result: dict[str, Any] = {"samples": len(every)}
    for name, values in (("all", every), *latencies.items()):
        result[name] = {
            "p50_s": round(statistics.median(values), 4),
            "p95_s": round(percentile(values, 95), 4),
            "max_s": round(max(values), 4),
        }
    result["p95_target_s"] = P95_TARGET_S
    result["ratio"] = round(result["all"]["p95_s"] / P95_TARGET_S, 3)
    return result


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        prog="python -m bench.inbox_latency",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="4 samples")
    parser.add_argument("--samples", type=int, default=None, help="link files (24; quick: 4)")
    args = parser.parse_args(argv)
    samples = args.samples or (4 if args.quick else 24)
    if samples < 2:
        parser.error("--samples must be at least 2 (one of each kind)")
    with tempfile.TemporaryDirectory(prefix="bench-inbox-") as tmp:
        result = run(samples, Path(tmp))
    print(f"inbox latency: link file complete → its job in the ledger, {samples} samples")
    for name in ("all", "rename", "close"):
        fig = result[name]
        print(
            f"  {name:7} p50 {fig['p50_s'] * 1000:7.1f} ms   p95 {fig['p95_s'] * 1000:7.1f} ms"
            f"   max {fig['max_s'] * 1000:7.1f} ms"
        )
    print(f"  p95 is {result['ratio']:.2f} × the {P95_TARGET_S * 1000:.0f} ms target")
    return result


if __name__ == "__main__":
    main()
