"""What identity's lookups alone cost a playlist's wall time: ``python -m bench.lookups [--quick]``.

``--tracks`` Spotify-like tracks (ISRC, artist, title, length; one in five with an ISRC
MusicBrainz does not know, so it is searched instead) go through the identity step as the
daemon runs it: ``download.workers`` lookup threads, each asking MusicBrainz for the recording
and AcoustID for a fingerprint (a distinct one per track, so no answer comes from the cache),
every request taking its turn of the budget every process shares through the ledger
(``engine/resilience/budgets.py``: MusicBrainz 1 request/s, AcoustID 3/s). The services are the
loopback stand-ins of the tests (``tests/fakes/musicbrainz.py``, recorded answers), which
answer at once: the time measured is the budget's, which is what a real playlist waits on.

This is the worst case for the issue's bound ("a 500-track playlist's lookups add under 10
minutes to its wall time"): in the daemon these lookups run beside the downloads and encodes
(their threads hold no download or CPU slot), so they add only what is left of them when the
last track is processed; ``python -m bench.throughput --identity`` measures that overlap.

``--quick``: 12 tracks (projected to 500 from the rate measured).
"""

from __future__ import annotations

import argparse
import base64
import json
import statistics
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from spotsyncd.core.config import Config
from spotsyncd.core.models import Fingerprint, TrackMeta
from spotsyncd.engine.resilience.budgets import budgets_for
from spotsyncd.identity.service import identity_for
from spotsyncd.ledger import Ledger
from tests.fakes.http_server import LoopbackServer
from tests.fakes.musicbrainz import FakeAcoustid, FakeMusicBrainz, thinking_out_loud

PLAYLIST = 500
TARGET_S = 600.0  # the bound for a 500-track playlist: under 10 minutes


def _tracks(count: int, brainz: FakeMusicBrainz) -> list[TrackMeta]:
    recording = thinking_out_loud()
    tracks = []
    for n in range(count):
        isrc = f"GBAHS14{n:05d}"
        brainz.add_isrc(isrc, [recording] if n % 5 else [])  # every fifth: unknown, searched
        tracks.append(TrackMeta(title=f"Song {n}", artists=("Ed Sheeran",), duration_s=281.0,
                                isrc=isrc, album="x (Multiply)"))  # fmt: skip
    return tracks


def run(count: int, folder: Path) -> dict[str, Any]:
    with LoopbackServer() as server:
        brainz, acoustid = FakeMusicBrainz(server), FakeAcoustid(server)
        config = Config.model_validate({
            "library_dir": folder / "library", "state_dir": folder / "state",
            "network": {"allow_private": True},
            "musicbrainz": {"enabled": True, "api_url": brainz.api_url},
            "acoustid": {"api_key": acoustid.api_key, "api_url": acoustid.api_url},
        })  # fmt: skip
        tracks = _tracks(count, brainz)
        build = identity_for(config)
        assert build is not None
        ledger = Ledger(folder / "ledger.sqlite3")
        try:
            budgets = budgets_for(lambda: config, ledger, "bench")
            step = build(ledger, budgets.turn)
            queue = list(enumerate(tracks))
            lock = threading.Lock()
            verdicts: list[str] = []

            def lookups() -> None:
                while True:
                    with lock:
                        if not queue:
                            return
                        n, meta = queue.pop(0)
                    asked = step.recording_for(meta)
                    value = base64.urlsafe_b64encode(f"AQAA{n:08d}".encode() * 8).decode()
                    verdict = step.check(Fingerprint(value=value, duration_s=281.0), asked, meta)
                    with lock:
                        verdicts.append(verdict.verdict.value)

            threads = [threading.Thread(target=lookups) for _ in range(config.download.workers)]
            started = time.monotonic()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            wall = time.monotonic() - started
        finally:
            ledger.close()
    times = sorted(t for t, _path, _agent in brainz.requests)
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    per_track = wall / count
    result = {
        "tracks": count,
        "threads": config.download.workers,
        "wall_s": round(wall, 2),
        "per_track_s": round(per_track, 3),
        "musicbrainz_requests": len(brainz.requests),
        "acoustid_requests": len(acoustid.requests),
        "min_gap_s": round(min(gaps), 3) if gaps else None,
        "median_gap_s": round(statistics.median(gaps), 3) if gaps else None,
        "verdicts": {v: verdicts.count(v) for v in sorted(set(verdicts))},
        "playlist": PLAYLIST,
        "playlist_s": round(wall if count == PLAYLIST else per_track * PLAYLIST, 1),
        "projected": count != PLAYLIST,
        "target_s": TARGET_S,
    }
    print(f"{count} tracks' lookups: {wall:.1f} s ({per_track:.2f} s a track) with "
          f"{result['threads']} threads; MusicBrainz {result['musicbrainz_requests']} requests "
          f"(gaps ≥ {result['min_gap_s']} s), AcoustID {result['acoustid_requests']}; "
          f"{PLAYLIST} tracks: {result['playlist_s']} s"
          + (" (projected)" if result["projected"] else ""), flush=True)  # fmt: skip
    return result


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        prog="python -m bench.lookups",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="12 tracks, projected to 500")
    parser.add_argument("--tracks", type=int, default=None, help=f"tracks (default {PLAYLIST})")
    args = parser.parse_args(argv)
    count = args.tracks or (12 if args.quick else PLAYLIST)
    with tempfile.TemporaryDirectory(prefix="spotsyncd-bench-lookups-") as folder:
        return run(count, Path(folder))


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
