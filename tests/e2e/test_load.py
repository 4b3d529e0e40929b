"""Load: one link file with 5,000 loopback links. All of them reach the ledger within 5 s of the
file landing, the status query keeps answering in < 0.5 s while the batch runs, and the daemon
stays under 300 MB RSS. The default run lets 20 jobs finish and stops the daemon (SIGTERM);
``--slow`` processes all 5,000.

The 0.5 s bound is on the status query itself (what the ledger controls: WAL readers never wait
for the writers). ``spotsyncd status --json`` as a process adds Python's start-up (~0.3 s idle,
much more on two cores busy encoding), so its wall time only gets a loose bound that still
catches a reader blocked behind a long write transaction."""

from __future__ import annotations

import os
import sqlite3
import statistics
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from spotsyncd.cli.inspect import status_data
from spotsyncd.core.config import load_config
from tests.e2e.harness import Daemon, Env, wait_for
from tests.e2e.test_hostile_input import memory_kb
from tests.fakes.audio import make_audio
from tests.fakes.http_server import LoopbackServer

LINKS = 5000
ACCEPT_WITHIN_S = 5.0
STATUS_WITHIN_S = 0.5
# A whole CLI process (interpreter, imports, the query): ~1 s alone, several times that when
# the daemon, other tests and the machine share two cores. A sanity bound; the query itself
# is held to STATUS_WITHIN_S.
CLI_STATUS_WITHIN_S = 6.0
MAX_RSS_MB = 300
SHORT_DONE = 20


@pytest.fixture
def many_tracks(tmp_path: Path) -> Iterator[LoopbackServer]:
    """5,000 distinct URLs (distinct names, so distinct library files) sharing one tiny mp3."""
    data = make_audio(tmp_path / "tiny.mp3", seconds=1.0, freq=440).read_bytes()
    with LoopbackServer() as server:
        for index in range(LINKS):
            server.add(f"/t{index:04d}.mp3", data, "audio/mpeg")
        yield server


def _run_batch(
    tmp_path: Path, server: LoopbackServer, *, until: Callable[[dict[str, int]], bool]
) -> tuple[Env, dict[str, list[float]], list[int]]:
    """Drop the 5,000-link file, check acceptance time, then sample status timings (in-process
    query and CLI) and RSS until ``until(counts)``; returns the env, the timings, RSS (kB)."""
    env = Env(tmp_path / "world", log_level="info")
    links = [server.url(f"/t{index:04d}.mp3") for index in range(LINKS)]
    status_times: dict[str, list[float]] = {"query": [], "cli": []}
    config = load_config(env.config_path)
    rss: list[int] = []
    with Daemon(env) as daemon:
        daemon.wait_ready()
        part = tmp_path / "load.part"
        part.write_text("\n".join(links) + "\n", encoding="utf-8")
        landed = time.monotonic()
        os.replace(part, env.inbox / "load.txt")

        def all_accepted() -> bool:
            rss.append(memory_kb(daemon.proc.pid)["VmRSS"])
            return _track_rows(env) >= LINKS

        wait_for(all_accepted, 30, daemon, what="5,000 links in the ledger", interval=0.1)
        accepted_in = time.monotonic() - landed
        assert accepted_in <= ACCEPT_WITHIN_S, f"accepted in {accepted_in:.2f}s"

        def sample() -> bool:
            rss.append(memory_kb(daemon.proc.pid)["VmRSS"])
            started = time.monotonic()
            data = status_data(config)
            status_times["query"].append(time.monotonic() - started)
            assert data["daemon"]["running"] and sum(data["jobs"].values()) == LINKS
            if len(status_times["query"]) % 2 == 1:
                started = time.monotonic()
                assert env.status()["daemon"]["running"]
                status_times["cli"].append(time.monotonic() - started)
            # Five samples at least: with fast encodes the first tracks can be done before.
            return until(env.counts()) and len(status_times["query"]) >= 5

        wait_for(sample, 1800, daemon, what="the batch to progress", interval=0.2)
        rss.append(memory_kb(daemon.proc.pid)["VmHWM"])
        stopped_in = daemon.stop()
    # The daemon's last line names the parts of a slow stop (engine/daemon/shutdown.py).
    assert stopped_in < 10, daemon.output()[-3000:]
    return env, status_times, rss


def _track_rows(env: Env) -> int:
    """Rows in the ledger's tracks table, read the cheap way: this poll shares the two cores
    with the daemon it is timing."""
    ledger = env.state / "ledger.sqlite3"
    if not ledger.exists():
        return 0
    with sqlite3.connect(f"file:{ledger}?mode=ro", uri=True, timeout=5) as conn:
        return int(conn.execute("SELECT count(*) FROM tracks").fetchone()[0])


def _check_responsive(status_times: dict[str, list[float]], rss: list[int]) -> None:
    queries, cli = status_times["query"], status_times["cli"]
    assert len(queries) >= 5, status_times
    # The query runs in this test's process, which shares two cores with the daemon (and,
    # under make test, with other tests): the typical query is held to the target, and no
    # query may take more than three times it.
    shown = [round(t, 3) for t in queries]
    assert statistics.median(queries) < STATUS_WITHIN_S, f"status queries took {shown}"
    assert max(queries) < 3 * STATUS_WITHIN_S, f"status queries took {shown}"
    # A whole new process each time (interpreter start and imports) on a machine whose cores the
    # daemon and, under make test, other tests share: one slow start says nothing about
    # status, so the median is checked; the status query itself is checked above, every time.
    assert statistics.median(cli) < CLI_STATUS_WITHIN_S, f"spotsyncd status --json took {cli}"
    assert max(rss) / 1024 <= MAX_RSS_MB, f"peak RSS {max(rss) / 1024:.0f} MB"


@pytest.mark.timeout(120)
def test_5000_links_accepted_fast_status_responsive(
    tmp_path: Path, many_tracks: LoopbackServer
) -> None:
    env, status_times, rss = _run_batch(
        tmp_path, many_tracks, until=lambda counts: counts.get("done", 0) >= SHORT_DONE
    )
    _check_responsive(status_times, rss)
    counts = env.counts()
    assert sum(counts.values()) == LINKS and counts.get("failed", 0) == 0, counts
    assert counts["done"] >= SHORT_DONE
    assert counts.get("running", 0) == 0  # SIGTERM put in-flight jobs back, nothing is stuck
    assert len(env.library_files()) == counts["done"]


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_5000_links_all_processed(tmp_path: Path, many_tracks: LoopbackServer) -> None:
    env, status_times, rss = _run_batch(
        tmp_path,
        many_tracks,
        until=lambda counts: counts.get("done", 0) + counts.get("failed", 0) >= LINKS,
    )
    _check_responsive(status_times, rss)
    assert env.counts().get("done") == LINKS
    files = env.library_files()
    assert len(files) == LINKS and len({p.name for p in files}) == LINKS
    assert not any((env.state / "staging").iterdir())
