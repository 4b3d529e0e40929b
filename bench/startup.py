"""Measure start-up: ``python -m bench.startup [--quick]``.

``spotsyncd --help``: wall time of the console script, median of ``--runs`` (target <= 0.3 s).
Baseline in the same run: ``python -c pass`` with the same interpreter (what any Python CLI pays).

``spotsyncd run`` → READY: the daemon is started as systemd would start a ``Type=notify``
service, with ``NOTIFY_SOCKET`` naming a datagram socket this script listens on; the figure is the
time from spawning the process until ``READY=1`` arrives (target <= 1.5 s). The first run meets an
empty state dir (creates the ledger), the others a warm one; the median of all is the figure.

``--quick``: 3 runs of ``--help``, 2 of ``run``.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.common import bench_env
from tests.e2e.harness import Env, cli_command

HELP_TARGET_S = 0.3
READY_TARGET_S = 1.5


def _timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=env, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def time_help(env: Env, runs: int) -> dict[str, float]:
    environ = env.environ()
    python = [_timed([sys.executable, "-c", "pass"], environ) for _ in range(runs)]
    helps = [_timed([*cli_command(), "--help"], environ) for _ in range(runs)]
    return {
        "help_s": round(statistics.median(helps), 3),
        "help_max_s": round(max(helps), 3),
        "python_s": round(statistics.median(python), 3),
    }


def time_ready(env: Env, folder: Path, timeout_s: float = 30.0) -> float:
    """Spawn ``spotsyncd run``; seconds until it sends READY=1. Stops it again."""
    address = str(folder / f"notify-{time.monotonic_ns()}.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(address)
        sock.settimeout(timeout_s)
        log = (folder / "daemon.log").open("ab")
        started = time.perf_counter()
        proc = subprocess.Popen(
            [*cli_command(), "run"],
            env=env.environ(NOTIFY_SOCKET=address),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            while True:
                try:
                    message = sock.recv(4096).decode(errors="replace")
                except TimeoutError:
                    raise RuntimeError(f"no READY=1 within {timeout_s} s") from None
                if "READY=1" in message.splitlines():
                    return time.perf_counter() - started
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
            log.close()
            os.unlink(address)


def run(help_runs: int, ready_runs: int, folder: Path) -> dict[str, Any]:
    env = bench_env(folder / "world")
    result: dict[str, Any] = time_help(env, help_runs)
    readies = [time_ready(env, folder) for _ in range(ready_runs)]
    result.update(
        ready_first_s=round(readies[0], 3),
        ready_s=round(statistics.median(readies), 3),
        ready_max_s=round(max(readies), 3),
        help_target_s=HELP_TARGET_S,
        ready_target_s=READY_TARGET_S,
        help_ratio=round(result["help_s"] / HELP_TARGET_S, 3),
        ready_ratio=round(statistics.median(readies) / READY_TARGET_S, 3),
        help_runs=help_runs,
        ready_runs=ready_runs,
    )
    return result


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        prog="python -m bench.startup",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="3 and 2 runs")
    parser.add_argument("--runs", type=int, default=None, help="runs of --help (15; quick: 3)")
    parser.add_argument("--ready-runs", type=int, default=None, help="runs of run (7; quick: 2)")
    args = parser.parse_args(argv)
    help_runs = args.runs or (3 if args.quick else 15)
    ready_runs = args.ready_runs or (2 if args.quick else 7)
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        result = run(help_runs, ready_runs, Path(tmp))
    print(
        f"start-up:\n"
        f"  spotsyncd --help       {result['help_s'] * 1000:6.0f} ms median of {help_runs} "
        f"(max {result['help_max_s'] * 1000:.0f}; python -c pass {result['python_s'] * 1000:.0f})"
        f"  {result['help_ratio']:.2f} × the {HELP_TARGET_S * 1000:.0f} ms target\n"
        f"  spotsyncd run → READY  {result['ready_s'] * 1000:6.0f} ms median of {ready_runs} "
        f"(first, empty state {result['ready_first_s'] * 1000:.0f}; max "
        f"{result['ready_max_s'] * 1000:.0f})  {result['ready_ratio']:.2f} × the "
        f"{READY_TARGET_S * 1000:.0f} ms target"
    )
    return result


if __name__ == "__main__":
    main()
