"""Measure importing a library export: ``python -m bench.imports [--quick] [--entries N]``.

Builds a Spotify account data export on the shape of the real files in
``../shared/realworld/playlists`` (``YourLibrary.json`` with ``--entries`` liked songs, every
other key as the real file has it; names and URIs are generated), and drops it into the inbox of
``spotsyncd run`` as a process. Figures: the time from the rename until every entry is a track
in the ledger and the "Liked Songs" collection lists them all (polled every 20 ms), until the
report file beside it exists, and the daemon's peak resident memory (VmHWM) by then. The
workers start on the tracks at once, as a user's would; the machine is offline, so they only
wait. Targets for 10,000 entries: in the ledger <= 10 s, peak RSS <= 300 MB.

``--quick``: 500 entries.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.common import bench_env, rss_mb, wait_until_idle
from spotsyncd.ledger import Ledger
from tests.e2e.harness import Daemon

LEDGER_TARGET_S = 10.0
RSS_TARGET_MB = 300.0
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "realworld" / "playlists"
_POLL_S = 0.02


def build_library_export(entries: int) -> bytes:
    """``YourLibrary.json`` with ``entries`` liked songs, on the real export's shape."""
    real = json.loads((SHARED / "spotify_account_YourLibrary.json").read_bytes())
    template = real["tracks"][0]
    liked = []
    for n in range(entries):
        row = dict(template)
        row.update(
            artist=f"Artist {n % 1500}",
            album=f"Album {n % 4000}",
            track=f"Song number {n}",
            uri=f"spotify:track:{n:022d}",
        )
        liked.append(row)
    return json.dumps({**real, "tracks": liked}, indent=2).encode()


def run(entries: int, folder: Path) -> dict[str, Any]:
    data = build_library_export(entries)
    env = bench_env(folder / "world")
    with Daemon(env) as daemon:
        daemon.wait_ready()
        wait_until_idle(daemon.proc.pid)
        before = rss_mb(daemon.proc.pid)
        ledger = Ledger(env.state / "ledger.sqlite3")
        try:
            staged = env.inbox.parent / "YourLibrary.json.part"
            staged.write_bytes(data)
            started = time.perf_counter()
            staged.rename(env.inbox / "YourLibrary.json")
            in_ledger_s = _wait(lambda: _liked(ledger) == entries, daemon, 120) - started
            report = env.inbox / "processed" / "YourLibrary.json.report.txt"
            report_s = _wait(report.exists, daemon, 60) - started
            tracks = sum(ledger.counts().values())
        finally:
            ledger.close()
        after = rss_mb(daemon.proc.pid)
        daemon.stop()
    return {
        "entries": entries,
        "file_mb": round(len(data) / 1e6, 2),
        "tracks": tracks,
        "in_ledger_s": round(in_ledger_s, 3),
        "report_s": round(report_s, 3),
        "rss_before_mb": before["rss_mb"],
        "peak_rss_mb": after["peak_rss_mb"],
        "ledger_target_s": LEDGER_TARGET_S,
        "rss_target_mb": RSS_TARGET_MB,
    }


def _liked(ledger: Ledger) -> int:
    return next((c.size for c in ledger.collections() if c.name == "Liked Songs"), 0)


def _wait(done: Any, daemon: Daemon, limit_s: float) -> float:
    deadline = time.perf_counter() + limit_s
    while not done():
        if time.perf_counter() > deadline or daemon.proc.poll() is not None:
            raise RuntimeError(f"the import did not finish\n{daemon.output()[-3000:]}")
        time.sleep(_POLL_S)
    return time.perf_counter()


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        prog="python -m bench.imports",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="500 entries")
    parser.add_argument("--entries", type=int, default=None, help="liked songs (10,000)")
    args = parser.parse_args(argv)
    entries = args.entries or (500 if args.quick else 10_000)
    with tempfile.TemporaryDirectory(prefix="bench-imports-") as tmp:
        result = run(entries, Path(tmp))
    print(f"import: a Spotify account export of {entries:,} liked songs "
          f"({result['file_mb']} MB) dropped into the inbox")  # fmt: skip
    print(f"  every entry a track in the ledger, Liked Songs saved: {result['in_ledger_s']:.2f} s"
          f" (target <= {LEDGER_TARGET_S:.0f} s)")  # fmt: skip
    print(f"  report file written: {result['report_s']:.2f} s")
    print(f"  daemon RSS before {result['rss_before_mb']} MB, peak {result['peak_rss_mb']} MB"
          f" (target <= {RSS_TARGET_MB:.0f} MB)")  # fmt: skip
    return result


if __name__ == "__main__":
    main()
