"""Helpers the daemon benchmarks share: a daemon on a temp config, /proc readings, percentiles.

The daemon runs as a real process through the e2e harness (``tests/e2e/harness.py``), the same
way the end-to-end tests run it, so a benchmark measures what a user gets.
"""

from __future__ import annotations

import dataclasses
import math
import os
import platform
import subprocess
import sys
import threading
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


@dataclasses.dataclass
class ChildRun:
    """One program's peaks (``ChildPeaks.runs``)."""

    command: str
    private_kb: int = 0
    rss_kb: int = 0


class ChildPeaks:
    """The peak memory of the programs this process runs (ffmpeg), sampled from /proc every
    ``every_s`` on a thread of its own while the ``with`` block runs. ``root``: those another
    process runs (a daemon's), at any depth, and with ``include_root`` its own memory too.

    - ``private_kb``: the largest sum of their ``RssAnon`` at one moment (two ffmpeg runs at
      once count twice): memory no other process shares.
    - ``rss_kb``: the largest of that sum for ``VmRSS``, or of one program's own ``VmHWM``
      (its high-water mark since its exec, which a 2 ms poll can miss between samples).
    - ``runs``: each program's own peaks, by process id, with its command line.

    A child running this interpreter is left out: Python starts a program with ``vfork``, and
    until its exec the child's /proc entry shows this interpreter's memory. ``ru_maxrss`` of the
    children is wrong the same way: Linux keeps the high-water mark of the memory a child had
    before its exec, which after ``vfork`` is the parent's, so it reports this interpreter."""

    def __init__(
        self, every_s: float = 0.002, *, root: int | None = None, include_root: bool = False
    ) -> None:
        self.every_s = every_s
        self.private_kb = 0
        self.rss_kb = 0
        self.runs: dict[int, ChildRun] = {}
        self._me = os.getpid() if root is None else root
        self._include_root = include_root
        self._own_exe = _exe(self._me) or os.path.realpath("/proc/self/exe")
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="child-peaks", daemon=True)

    def __enter__(self) -> ChildPeaks:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()

    def _children(self) -> list[int]:
        found, pending = [], [self._me]
        while pending:
            kids = _children_of(pending.pop())
            pending.extend(kids)
            found.extend(kid for kid in kids if _exe(kid) not in (None, self._own_exe))
        return found

    def _sampled(self) -> list[int]:
        return [self._me, *self._children()] if self._include_root else self._children()

    def _sample(self) -> None:
        while not self._done.is_set():
            private = rss = 0
            for kid in self._sampled():
                values = status_kb(kid, "RssAnon", "VmRSS", "VmHWM")
                private += values.get("RssAnon", 0)
                rss += values.get("VmRSS", 0)
                if kid != self._me:  # the root's own mark may predate the ``with`` block
                    self.rss_kb = max(self.rss_kb, values.get("VmHWM", 0))
                run = self.runs.get(kid) or self.runs.setdefault(kid, ChildRun(_command(kid)))
                run.private_kb = max(run.private_kb, values.get("RssAnon", 0))
                run.rss_kb = max(run.rss_kb, values.get("VmHWM", 0), values.get("VmRSS", 0))
            self.private_kb = max(self.private_kb, private)
            self.rss_kb = max(self.rss_kb, rss)
            time.sleep(self.every_s)


def _children_of(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return kids
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as fh:
                kids.extend(int(kid) for kid in fh.read().split())
        except OSError:
            continue
    return kids


def _command(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
    except OSError:
        return ""


def _exe(pid: int) -> str | None:
    try:
        return os.path.realpath(f"/proc/{pid}/exe", strict=True)
    except OSError:
        return None


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
