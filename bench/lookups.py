"""What identity's lookups alone cost a playlist's wall time: ``python -m bench.lookups [--quick]``.

``--tracks`` Spotify-like tracks (ISRC, artist, title, length) go through the identity step as
the daemon runs it (``engine/jobs/identity_check.py``): ``download.workers`` lookup threads,
each asking MusicBrainz for the recording by its ISRC, AcoustID for the audio's fingerprint (a
distinct one per track, so no answer comes from the cache), and, for a track whose ISRC
MusicBrainz does not know and whose audio AcoustID cannot name either, MusicBrainz's search.
Every request takes its turn of the budget every process shares through the ledger
(``engine/resilience/budgets.py``: MusicBrainz 1 request/s, AcoustID 3/s).

The mix is explicit: ``--unknown-isrc`` of the ISRCs (default 1 in 5) are unknown to
MusicBrainz, and AcoustID cannot name ``--unknown-audio`` of the fingerprints (default 1 in
10), drawn independently per track with a fixed seed; the others get a recorded answer. The
services are the loopback stand-ins of the tests (``tests/fakes/musicbrainz.py``), which
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
import random
import statistics
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from spotsyncd.core.config import Config
from spotsyncd.core.models import Fingerprint, TrackMeta
from spotsyncd.engine.jobs.identity_check import named_by_search
from spotsyncd.engine.resilience.budgets import budgets_for
from spotsyncd.identity.service import identity_for
from spotsyncd.ledger import Ledger
from tests.fakes.http_server import LoopbackServer
from tests.fakes.musicbrainz import (
    FakeAcoustid,
    FakeMusicBrainz,
    hocus_pocus_lookup,
    thinking_out_loud,
)

PLAYLIST = 500
TARGET_S = 600.0  # the bound for a 500-track playlist: under 10 minutes


def _tracks(
    count: int, brainz: FakeMusicBrainz, unknown_isrc: float, rng: random.Random
) -> list[TrackMeta]:
    recording = thinking_out_loud()
    tracks = []
    for n in range(count):
        isrc = f"GBAHS14{n:05d}"
        brainz.add_isrc(isrc, [] if rng.random() < unknown_isrc else [recording])
        tracks.append(TrackMeta(title=f"Song {n}", artists=("Ed Sheeran",), duration_s=281.0,
                                isrc=isrc, album="x (Multiply)"))  # fmt: skip
    return tracks


def _print_of(n: int) -> str:
    return base64.urlsafe_b64encode(f"AQAA{n:08d}".encode() * 8).decode()


def run(count: int, folder: Path, unknown_isrc: float = 0.2,
        unknown_audio: float = 0.1) -> dict[str, Any]:  # fmt: skip
    with LoopbackServer() as server:
        brainz, acoustid = FakeMusicBrainz(server), FakeAcoustid(server)
        config = Config.model_validate({
            "library_dir": folder / "library", "state_dir": folder / "state",
            "network": {"allow_private": True},
            "musicbrainz": {"enabled": True, "api_url": brainz.api_url},
            "acoustid": {"api_key": acoustid.api_key, "api_url": acoustid.api_url},
        })  # fmt: skip
        rng = random.Random(2026)  # the same mix every run, drawn independently per track
        tracks = _tracks(count, brainz, unknown_isrc, rng)
        for n in range(count):
            if rng.random() >= unknown_audio:
                acoustid.answer(_print_of(n), hocus_pocus_lookup())
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
                    # As identity_check.verify: the ISRC, AcoustID, then a search if need be.
                    asked = step.recording_for(meta, search=not step.fingerprints)
                    print_ = Fingerprint(value=_print_of(n), duration_s=281.0)
                    found = named_by_search(step, asked, step.check(print_, asked, meta), meta)
                    with lock:
                        verdicts.append(found.verdict.value)

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
        "unknown_isrc": unknown_isrc,
        "unknown_audio": unknown_audio,
        "threads": config.download.workers,
        "wall_s": round(wall, 2),
        "per_track_s": round(per_track, 3),
        "musicbrainz_requests": len(brainz.requests),
        "musicbrainz_searches": sum(
            path.startswith("/ws/2/recording") for _t, path, _a in brainz.requests
        ),  # fmt: skip
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
    parser.add_argument(
        "--unknown-isrc",
        type=float,
        default=0.2,
        help="share of ISRCs MusicBrainz does not know (default 0.2)",
    )
    parser.add_argument(
        "--unknown-audio",
        type=float,
        default=0.1,
        help="share of fingerprints AcoustID cannot name (default 0.1)",
    )
    args = parser.parse_args(argv)
    count = args.tracks or (12 if args.quick else PLAYLIST)
    with tempfile.TemporaryDirectory(prefix="spotsyncd-bench-lookups-") as folder:
        return run(count, Path(folder), args.unknown_isrc, args.unknown_audio)


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
