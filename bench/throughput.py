"""Measure the running daemon's throughput: ``python -m bench.throughput [--quick]``.

Serves ``--tracks`` generated music-like inputs (m4a, opus and mp3 in turn, like real downloads;
3 minutes each) from a loopback HTTP server, starts ``spotsyncd run`` as a process with
``download.workers`` = the number of cores, renames one link file naming all of them into the
inbox, and times that rename until every track is filed in the library (download with yt-dlp,
decode, trim, loudness-normalise, encode 192k MP3, tag, file).

Baseline, measured in the same run on the same files: the sum of bare
``ffmpeg -i IN -c:a libmp3lame -b:a 192k OUT`` times with the same ffmpeg, divided by the cores
(perfect parallelism of the bare encodes). Target ratio <= 1.25. Also reported: the wall time
of the same bare encodes run ``cores`` at a time (bare ffmpeg itself uses more than one core: its
decoder runs in a thread of its own, so perfect parallelism is out of its reach too).

``--quick``: 4 tracks of 5 seconds.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench.common import bench_env, machine, silence_resets
from bench.processing import bare_encode, make_music
from spotsyncd.ledger import Ledger
from spotsyncd.system.tools import find_ffmpeg
from tests.e2e.harness import Daemon, Env
from tests.fakes.http_server import LoopbackServer

RATIO_TARGET = 1.25
_FORMATS = (("m4a", "audio/mp4"), ("opus", "audio/ogg"), ("mp3", "audio/mpeg"))


def make_inputs(ffmpeg: Path, folder: Path, count: int, seconds: float, cores: int) -> list[Path]:
    """``count`` distinct inputs (the noise is random each time), generated ``cores`` at once."""
    names = [folder / f"track{n:02d}.{_FORMATS[n % len(_FORMATS)][0]}" for n in range(count)]
    with ThreadPoolExecutor(max_workers=cores) as pool:
        return list(pool.map(lambda path: make_music(ffmpeg, path, seconds), names))


def library_tracks(env: Env) -> int:
    """Finished audio files in the library (playlists are not tracks)."""
    return sum(1 for p in env.library.rglob("*.mp3") if p.is_file())


def run_daemon(env: Env, urls: list[str], timeout_s: float) -> float:
    """Seconds from the link file's rename into the inbox until ``len(urls)`` tracks are filed."""
    with Daemon(env) as daemon:
        daemon.wait_ready()
        ledger = Ledger(env.state / "ledger.sqlite3")
        try:
            staged = env.inbox / ".throughput.txt.part"
            staged.write_text("\n".join(urls) + "\n", encoding="utf-8")
            started = time.perf_counter()
            os.replace(staged, env.inbox / "throughput.txt")
            next_check = started + 2.0
            while library_tracks(env) < len(urls):
                now = time.perf_counter()
                if now - started > timeout_s or daemon.proc.poll() is not None:
                    raise RuntimeError(
                        f"{library_tracks(env)}/{len(urls)} tracks filed after {now - started:.0f}"
                        f" s; ledger {ledger.counts()}\n{daemon.output()[-3000:]}"
                    )
                if now >= next_check:  # a failed job would never reach the library
                    next_check = now + 2.0
                    failed = ledger.counts().get("failed", 0)
                    if failed:
                        raise RuntimeError(f"{failed} jobs failed\n{daemon.output()[-3000:]}")
                time.sleep(0.05)
            elapsed = time.perf_counter() - started
        finally:
            ledger.close()
        daemon.stop()
    return elapsed


def run(tracks: int, seconds: float, folder: Path) -> dict[str, Any]:
    cores = os.cpu_count() or 1
    ffmpeg = find_ffmpeg().path
    sources = folder / "sources"
    sources.mkdir()
    inputs = make_inputs(ffmpeg, sources, tracks, seconds, cores)
    bare = [bare_encode(ffmpeg, src, folder / "bare.mp3") for src in inputs]
    baseline_s = sum(bare) / cores
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=cores) as pool:
        outputs = [folder / f"bare-{n % cores}-{n}.mp3" for n in range(len(inputs))]
        list(pool.map(lambda pair: bare_encode(ffmpeg, *pair), zip(inputs, outputs, strict=True)))
    parallel_s = time.perf_counter() - started
    env = bench_env(folder / "world", download={"workers": cores})
    with silence_resets(LoopbackServer()) as server:
        types = dict(_FORMATS)
        urls = [
            server.add(f"/{src.name}", src.read_bytes(), types[src.suffix.lstrip(".")])
            for src in inputs
        ]
        daemon_s = run_daemon(env, urls, timeout_s=max(120.0, 10 * baseline_s))
    return {
        "tracks": tracks,
        "input_s": seconds,
        "workers": cores,
        "daemon_s": round(daemon_s, 2),
        "bare_sum_s": round(sum(bare), 2),
        "baseline_s": round(baseline_s, 2),
        "ratio": round(daemon_s / baseline_s, 3),
        "ratio_target": RATIO_TARGET,
        "bare_parallel_s": round(parallel_s, 2),
        "ratio_vs_parallel": round(daemon_s / parallel_s, 3),
        "tracks_per_min": round(tracks / daemon_s * 60, 1),
    }


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        prog="python -m bench.throughput",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="4 tracks of 5 s")
    parser.add_argument("--tracks", type=int, default=None, help="tracks (40; quick: 4)")
    parser.add_argument("--seconds", type=float, default=None, help="input length (180; quick: 5)")
    args = parser.parse_args(argv)
    tracks = args.tracks or (4 if args.quick else 40)
    seconds = args.seconds or (5.0 if args.quick else 180.0)
    print(f"load average before: {machine()['load_average']} on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="bench-throughput-") as tmp:
        result = run(tracks, seconds, Path(tmp))
    print(
        f"throughput: {tracks} × {seconds:.0f} s tracks through the running daemon, "
        f"{result['workers']} workers\n"
        f"  inbox rename → all filed: {result['daemon_s']:7.2f} s "
        f"({result['tracks_per_min']} tracks/min)\n"
        f"  bare encodes / cores:     {result['baseline_s']:7.2f} s "
        f"(sum {result['bare_sum_s']} s)\n"
        f"  bare encodes, {result['workers']} at a time: {result['bare_parallel_s']:5.2f} s "
        f"(ratio {result['ratio_vs_parallel']:.2f})\n"
        f"  ratio {result['ratio']:.2f} (target <= {RATIO_TARGET})"
    )
    return result


if __name__ == "__main__":
    main()
