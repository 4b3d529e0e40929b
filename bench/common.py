"""Helpers the daemon benchmarks share: a daemon on a temp config, /proc readings, percentiles.

The daemon runs as a real process through the e2e harness (``tests/e2e/harness.py``), the same
way the end-to-end tests run it, so a benchmark measures what a user gets.
"""

from __future__ import annotations

import math
import os
import platform
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tests.e2e.harness import Env
from tests.fakes.http_server import LoopbackServer

# Clock ticks per second for /proc/PID/stat times (100 on every Linux we know of).
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def bench_env(root: Path, **overrides: Any) -> Env:
    """A temp world for the daemon with a user's settings: ``info`` logging (the harness's
    ``debug`` costs time no user pays) and the download defaults unless ``overrides`` says."""
    download = {"max_retries": 2, "backoff_seconds": 0.2, "timeout_seconds": 30}
    download.update(overrides.pop("download", {}))
    return Env(root, log_level=overrides.pop("log_level", "info"), download=download, **overrides)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` and its reaped children so far (Linux /proc)."""
    own, children = cpu_split(pid)
    return own + children


def cpu_split(pid: int) -> tuple[float, float]:
    """User + system CPU time of ``pid`` itself, and of its reaped children (Linux /proc)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
        # The command name (field 2) may hold spaces: split after its closing parenthesis.
        fields = fh.read().rsplit(")", 1)[1].split()
    utime, stime, cutime, cstime = (int(f) for f in fields[11:15])
    return (utime + stime) / _TICKS, (cutime + cstime) / _TICKS


def wait_until_idle(pid: int, *, quiet_s: float = 0.6, limit_s: float = 30.0) -> float:
    """Wait until ``pid`` (and what it runs) has used no CPU for ``quiet_s``: a daemon that has
    finished starting up and warming up, as a user's has long before they drop a file in.
    Returns the CPU seconds it used until then (reported, not hidden)."""
    deadline = time.monotonic() + limit_s
    last, quiet_since = cpu_seconds(pid), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.1)
        now = cpu_seconds(pid)
        if now > last:
            last, quiet_since = now, time.monotonic()
        elif time.monotonic() - quiet_since >= quiet_s:
            break
    return last


def status_kb(pid: int, *names: str) -> dict[str, int]:
    """Fields of ``/proc/PID/status`` given in kB (``VmRSS``, ``VmHWM``, ``RssAnon``…); {} when
    the process is gone."""
    values: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                name, _, rest = line.partition(":")
                if name in names:
                    values[name] = int(rest.split()[0])
    except OSError:
        return {}
    return values


def children_private_kb() -> int:
    """The private memory (``RssAnon``) of this process's children running now, summed."""
    me, total = os.getpid(), 0
    for task in os.listdir(f"/proc/{me}/task"):
        try:
            with open(f"/proc/{me}/task/{task}/children", encoding="ascii") as fh:
                kids = fh.read().split()
        except OSError:
            continue
        total += sum(status_kb(int(kid), "RssAnon").get("RssAnon", 0) for kid in kids)
    return total


def rss_mb(pid: int) -> dict[str, float]:
    """Current (VmRSS) and peak (VmHWM) resident memory of ``pid`` in MB."""
    values = status_kb(pid, "VmRSS", "VmHWM")
    return {"rss_mb": round(values["VmRSS"] / 1024, 1),
            "peak_rss_mb": round(values["VmHWM"] / 1024, 1)}  # fmt: skip


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) by linear interpolation between closest ranks."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    uname = subprocess.run(["uname", "-a"], capture_output=True, text=True, check=False)
    return {
        "uname": uname.stdout.strip() or platform.platform(),
        "cores": os.cpu_count(),
        "python": sys.version.split()[0],
        "load_average": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
    }


def silence_resets(server: LoopbackServer) -> LoopbackServer:
    """Keep clients that drop keep-alive connections (yt-dlp does, on exit) from printing a
    traceback per connection: that noise would bury the figures."""
    server.httpd.handle_error = lambda request, client_address: None  # type: ignore[method-assign]
    return server
