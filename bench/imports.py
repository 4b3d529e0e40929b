"""Measure importing a library export: ``python -m bench.imports [--quick] [--entries N]``.

Builds a Spotify account data export on the shape of the real files in
``../shared/realworld/playlists`` (every key as the real files have it; names and URIs are
generated): ``YourLibrary.json`` with ``--entries`` liked songs, then ``Playlist1.json`` with
two playlists of ``--entries`` items in all (half of them liked songs too), and drops each into
the inbox of ``spotsyncd run`` as a process. Figures, per file: the time from the rename until
every entry is a track in the ledger and its collections list them all (polled every 20 ms),
and until the report file beside it exists, with the CPU time the daemon used meanwhile (on a
loaded machine the wall time stretches, the CPU time does not); and the daemon's peak resident
memory (VmHWM) by the end. The workers start on the tracks at once, as a user's would; the
machine is offline, so they only wait. Targets for 10,000 entries: in the ledger <= 10 s, peak
RSS <= 300 MB.

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

from bench.common import bench_env, cpu_seconds, rss_mb, wait_until_idle
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
    # Only the liked songs: the real file's saved albums would be queued as albums too.
    return json.dumps({**real, "tracks": liked, "albums": [], "episodes": []}, indent=2).encode()


def build_playlists_export(entries: int) -> bytes:
    """``Playlist1.json`` with two playlists of ``entries`` items in all, on the real shape;
    every other item is also a liked song of :func:`build_library_export`."""
    real = json.loads((SHARED / "spotify_account_Playlist1.json").read_bytes())
    template = real["playlists"][0]
    item = next(i for i in template["items"] if i.get("track"))
    playlists = []
    for number, name in enumerate(("Big Mix", "Second Mix")):
        items = []
        for n in range(number, entries, 2):
            song = n if n % 4 < 2 else entries + n  # half liked songs, half new ones
            track = {
                "trackName": f"Song number {song}",
                "artistName": f"Artist {song % 1500}",
                "albumName": f"Album {song % 4000}",
                "trackUri": f"spotify:track:{song:022d}",
            }
            items.append({**item, "track": track})  # fmt: skip
        playlists.append({**template, "name": name, "items": items})
    return json.dumps({**real, "playlists": playlists}, indent=2).encode()


def run(entries: int, folder: Path) -> dict[str, Any]:
    library = build_library_export(entries)
    playlists = build_playlists_export(entries)
    env = bench_env(folder / "world")
    result: dict[str, Any] = {"entries": entries}
    with Daemon(env) as daemon:
        daemon.wait_ready()
        wait_until_idle(daemon.proc.pid)
        result["rss_before_mb"] = rss_mb(daemon.proc.pid)["rss_mb"]
        ledger = Ledger(env.state / "ledger.sqlite3")
        try:
            for label, name, data, lists in (
                ("library", "YourLibrary.json", library, {"Liked Songs": entries}),
                ("playlists", "Playlist1.json", playlists,
                 {"Big Mix": (entries + 1) // 2, "Second Mix": entries // 2}),
            ):  # fmt: skip
                staged = env.inbox.parent / f"{name}.part"
                staged.write_bytes(data)
                cpu = cpu_seconds(daemon.proc.pid)
                started = time.perf_counter()
                staged.rename(env.inbox / name)
                listed = _wait(lambda lists=lists: _sizes(ledger, lists) == lists, daemon, 120)
                result[f"{label}_cpu_s"] = round(cpu_seconds(daemon.proc.pid) - cpu, 2)
                report = env.inbox / "processed" / f"{name}.report.txt"
                written = _wait(report.exists, daemon, 60)
                result[f"{label}_mb"] = round(len(data) / 1e6, 2)
                result[f"{label}_in_ledger_s"] = round(listed - started, 3)
                result[f"{label}_report_s"] = round(written - started, 3)
            result["tracks"] = sum(ledger.counts().values())
        finally:
            ledger.close()
        result["peak_rss_mb"] = rss_mb(daemon.proc.pid)["peak_rss_mb"]
        daemon.stop()
    result.update(
        in_ledger_s=max(result["library_in_ledger_s"], result["playlists_in_ledger_s"]),
        ledger_target_s=LEDGER_TARGET_S,
        rss_target_mb=RSS_TARGET_MB,
    )
    return result


def _sizes(ledger: Ledger, wanted: dict[str, int]) -> dict[str, int]:
    return {c.name: c.size for c in ledger.collections() if c.name in wanted}


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
    print(f"import: a Spotify account export of {entries:,} entries per file, dropped into the "
          f"inbox (target <= {LEDGER_TARGET_S:.0f} s each)")  # fmt: skip
    for label, name in (("library", "YourLibrary.json"), ("playlists", "Playlist1.json")):
        print(f"  {name} ({result[f'{label}_mb']} MB): every entry in the ledger and its "
              f"collections saved {result[f'{label}_in_ledger_s']:.2f} s (the daemon used "
              f"{result[f'{label}_cpu_s']:.2f} CPU-s meanwhile), report "
              f"{result[f'{label}_report_s']:.2f} s")  # fmt: skip
    print(f"  {result['tracks']:,} tracks; daemon RSS before {result['rss_before_mb']} MB, peak "
          f"{result['peak_rss_mb']} MB (target <= {RSS_TARGET_MB:.0f} MB)")  # fmt: skip
    return result


if __name__ == "__main__":
    main()
