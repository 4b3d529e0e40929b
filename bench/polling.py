"""Measure the follow diff: ``python -m bench.polling [--quick]``.

Builds a ledger of ``--ledger`` tracks in a temporary SQLite file (the same durable settings the
daemon uses: WAL, ``synchronous=FULL``), follows a playlist of ``--playlist`` of them, then times
``Ledger.apply_listing`` for the same listing again (unchanged) and for one with 2 new items and
1 removed. Target: 50 ms for 10,000 items against 100,000 tracks. Each figure is the median of
``--repeat`` runs; the changed case alternates between two listings so every run is a real change.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from spotsyncd.core.models import Link, LinkKind, ListedItem, Listing, Source, TrackMeta
from spotsyncd.ledger import Ledger

TARGET_MS = 50.0


def _item(number: int) -> ListedItem:
    video_id = f"v{number:010d}"
    return ListedItem(
        Link(
            key=f"youtube:{video_id}",
            url=f"https://www.youtube.com/watch?v={video_id}",
            source=Source.YOUTUBE,
            kind=LinkKind.TRACK,
        ),
        TrackMeta(title=f"Song {number}", artists=(f"Artist {number % 997}",)),
    )


def _listing(numbers: Sequence[int], fingerprint: str) -> Listing:
    return Listing(title="bench", items=tuple(_item(n) for n in numbers), fingerprint=fingerprint)


def _follow(ledger: Ledger, name: str) -> int:
    link = Link(
        key=f"youtube:playlist:{name}",
        url=f"https://www.youtube.com/playlist?list={name}",
        source=Source.YOUTUBE,
        kind=LinkKind.COLLECTION,
    )
    return ledger.add_follow(link, name=name, interval_s=3600, options={}, origin="cli").id


def _median_ms(runs: int, step: Callable[[int], Any]) -> float:
    times = []
    for run in range(runs):
        started = time.perf_counter()
        step(run)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def run(ledger_size: int, playlist_size: int, repeat: int, folder: Path) -> dict[str, Any]:
    ledger = Ledger(folder / "bench.sqlite3")
    try:
        started = time.perf_counter()
        everything = _follow(ledger, "everything")
        ledger.apply_listing(everything, _listing(range(ledger_size), "all"), now=time.time())
        build_s = time.perf_counter() - started

        follow_id = _follow(ledger, "playlist")
        # Every 10th track of the ledger, so the playlist's keys are spread over the index.
        base = [n * (ledger_size // playlist_size) for n in range(playlist_size)]
        started = time.perf_counter()
        ledger.apply_listing(follow_id, _listing(base, "base"), now=time.time())
        first_ms = (time.perf_counter() - started) * 1000

        unchanged = _listing(base, "base")
        unchanged_ms = _median_ms(
            repeat, lambda _run: ledger.apply_listing(follow_id, unchanged, now=time.time())
        )

        # 2 new tracks (never seen) at the end, 1 removed from the middle; back and forth.
        fresh = ledger_size + 10
        changed = _listing(
            [n for n in base if n != base[playlist_size // 2]] + [fresh, fresh + 1], "changed"
        )
        listings = (changed, unchanged)

        def change(run: int) -> None:
            diff = ledger.apply_listing(follow_id, listings[run % 2], now=time.time())
            assert diff.changed, "each changed run must really change the follow"

        changed_ms = _median_ms(repeat * 2, change)
    finally:
        ledger.close()
    return {
        "ledger_tracks": ledger_size,
        "playlist_tracks": playlist_size,
        "build_ledger_s": round(build_s, 2),
        "first_poll_relink_ms": round(first_ms, 1),
        "unchanged_ms": round(unchanged_ms, 1),
        "changed_ms": round(changed_ms, 1),
        "target_ms": TARGET_MS,
        "unchanged_ratio": round(unchanged_ms / TARGET_MS, 2),
        "changed_ratio": round(changed_ms / TARGET_MS, 2),
    }


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m bench.polling", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes (for tests)")
    parser.add_argument("--ledger", type=int, default=100_000, help="tracks in the ledger")
    parser.add_argument("--playlist", type=int, default=10_000, help="items in the playlist")
    parser.add_argument("--repeat", type=int, default=7, help="runs per figure (median)")
    args = parser.parse_args(argv)
    ledger_size, playlist_size, repeat = args.ledger, args.playlist, args.repeat
    if args.quick:
        ledger_size, playlist_size, repeat = 2_000, 200, 3
    if not 0 < playlist_size <= ledger_size:
        parser.error("--playlist must be between 1 and --ledger")
    with tempfile.TemporaryDirectory(prefix="spotsyncd-bench-") as folder:
        result = run(ledger_size, playlist_size, repeat, Path(folder))
    print(
        f"follow diff: {playlist_size:,} items against {ledger_size:,} tracks "
        f"(ledger built in {result['build_ledger_s']} s)\n"
        f"  first poll, all known: {result['first_poll_relink_ms']:8.1f} ms\n"
        f"  unchanged listing:     {result['unchanged_ms']:8.1f} ms  "
        f"({result['unchanged_ratio']:.2f} × the {TARGET_MS:.0f} ms target)\n"
        f"  2 new, 1 removed:      {result['changed_ms']:8.1f} ms  "
        f"({result['changed_ratio']:.2f} × the {TARGET_MS:.0f} ms target)"
    )
    return result


if __name__ == "__main__":
    main()
