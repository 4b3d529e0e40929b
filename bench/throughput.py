"""Measure the running daemon's throughput: ``python -m bench.throughput [--quick]``.

Serves ``--tracks`` generated music-like inputs (m4a, opus, mp3 and flac in turn, like real
downloads; 3 minutes each, silence at both ends) from a loopback HTTP server, starts ``spotsyncd
run`` as a process with ``download.workers`` = the number of cores (and the default audio
workers: one per core), waits until it is idle (start-up and warm-up done, as a user's daemon
is long before they drop a file in; that CPU is reported), renames one link file naming all of
them into the inbox, and times that rename until every track is filed in the library (download
with yt-dlp, decode, trim, loudness-normalise, encode 192k MP3, tag, file).

Baseline, measured side by side in the same run on the same files: bare
``ffmpeg -i IN -c:a libmp3lame -b:a 192k OUT`` with the same ffmpeg, run ``cores`` at a time.
Each of ``--repeat`` rounds runs the bare encodes and then the daemon (a fresh one each round),
so both see the same machine; the figures are the medians. Target: daemon wall time <= 1.25x
the bare wall time.

On a shared machine wall time follows the load of others, so CPU time is reported too:
user+system seconds of the daemon and every process it ran (its reaped children, from
/proc/PID/stat) from the rename until all are filed, against the bare encodes' (``getrusage``
of this process's children). With every core busy, the CPU ratio is what the wall ratio tends
to. /proc/loadavg is read before and after. Per step (queue wait, listing, download, probe,
analysis, encode, tag, file...): the mean seconds per track, from the daemon's log.

``--identity``: each round also runs the daemon with identity on (MusicBrainz and an AcoustID
key, both loopback stand-ins from ``tests/fakes/musicbrainz.py`` answering recorded responses:
every track is looked up, fingerprinted and checked) and reports on / off, wall and CPU, and
the peak memory of the daemon and everything it runs (RSS and private, ``bench.common
.ChildPeaks``) from the drop until all are filed.

``--quick``: 4 tracks of 5 seconds, one round.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import resource
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench.common import ChildPeaks, bench_env, cpu_split, machine, silence_resets, wait_until_idle
from bench.processing import bare_encode, make_music
from spotsyncd.ledger import Ledger
from spotsyncd.system.tools import find_ffmpeg
from tests.e2e.harness import Daemon, Env
from tests.fakes.http_server import LoopbackServer

RATIO_TARGET = 1.25
_FORMATS = (
    ("m4a", "audio/mp4"),
    ("opus", "audio/ogg"),
    ("mp3", "audio/mpeg"),
    ("flac", "audio/flac"),
)
_STEPS = re.compile(r": done \S+ → .*; steps: (.*)$", re.M)
_OLD_STEPS = re.compile(r": done \S+ → .*, download ([\d.]+)s, process ([\d.]+)s\)$", re.M)


def make_inputs(ffmpeg: Path, folder: Path, count: int, seconds: float, cores: int) -> list[Path]:
    """``count`` distinct inputs (the noise is random each time), generated ``cores`` at once."""
    names = [folder / f"track{n:02d}.{_FORMATS[n % len(_FORMATS)][0]}" for n in range(count)]
    with ThreadPoolExecutor(max_workers=cores) as pool:
        return list(pool.map(lambda path: make_music(ffmpeg, path, seconds), names))


def library_tracks(env: Env) -> int:
    """Finished audio files in the library (playlists are not tracks)."""
    return sum(1 for p in env.library.rglob("*.mp3") if p.is_file())


def load_average() -> str:
    with open("/proc/loadavg", encoding="ascii") as fh:
        return " ".join(fh.read().split()[:3])


def run_bare(ffmpeg: Path, inputs: list[Path], folder: Path, cores: int) -> dict[str, float]:
    """The bare encodes, ``cores`` at a time: wall seconds and CPU seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    outputs = [folder / f"bare-{n}.mp3" for n in range(len(inputs))]
    with ThreadPoolExecutor(max_workers=cores) as pool:
        list(pool.map(lambda pair: bare_encode(ffmpeg, *pair), zip(inputs, outputs, strict=True)))
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    for path in outputs:
        path.unlink(missing_ok=True)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall_s": wall, "cpu_s": cpu}


def run_daemon(env: Env, urls: list[str], timeout_s: float) -> dict[str, Any]:
    """Seconds and CPU seconds from the link file's rename into the inbox until ``len(urls)``
    tracks are filed; the mean seconds per track of each step."""
    with Daemon(env) as daemon:
        daemon.wait_ready()
        startup_cpu = wait_until_idle(daemon.proc.pid)
        ledger = Ledger(env.state / "ledger.sqlite3")
        try:
            staged = env.inbox / ".throughput.txt.part"
            staged.write_text("\n".join(urls) + "\n", encoding="utf-8")
            own_before, kids_before = cpu_split(daemon.proc.pid)
            renamed_at = time.time()
            started = time.perf_counter()
            os.replace(staged, env.inbox / "throughput.txt")
            next_check = started + 2.0
            # every 50 ms: a walk of the tree costs CPU the daemon shares two cores with
            with ChildPeaks(0.05, root=daemon.proc.pid, include_root=True) as memory:
                while library_tracks(env) < len(urls):
                    now = time.perf_counter()
                    if now - started > timeout_s or daemon.proc.poll() is not None:
                        filed = library_tracks(env)
                        raise RuntimeError(
                            f"{filed}/{len(urls)} tracks filed after {now - started:.0f} s; "
                            f"ledger {ledger.counts()}\n{daemon.output()[-3000:]}"
                        )
                    if now >= next_check:  # a failed job would never reach the library
                        next_check = now + 2.0
                        failed = ledger.counts().get("failed", 0)
                        if failed:
                            tail = daemon.output()[-3000:]
                            raise RuntimeError(f"{failed} jobs failed\n{tail}")
                    time.sleep(0.05)
                elapsed = time.perf_counter() - started
            own, kids = cpu_split(daemon.proc.pid)
            claimed = claim_times(env.state / "ledger.sqlite3")
        finally:
            ledger.close()
        daemon.stop()
        steps = step_means(daemon.output(), len(urls))
    if claimed:
        steps["queue wait"] = statistics.mean(max(0.0, c - renamed_at) for c in claimed)
    return {
        "wall_s": elapsed,
        "cpu_s": own + kids - own_before - kids_before,
        "python_cpu_s": own - own_before,  # the daemon itself: yt-dlp, tagging, ledger…
        "cpu_total_s": own + kids,
        "startup_cpu_s": startup_cpu,  # start-up and warm-up, before the file was dropped
        # The daemon and what it runs, from the drop until all are filed (ChildPeaks).
        "peak_rss_mb": memory.rss_kb / 1024,
        "peak_private_mb": memory.private_kb / 1024,
        "steps": steps,
    }


def claim_times(ledger_path: Path) -> list[float]:
    """When each job was (last) claimed by a worker: the end of its wait in the queue."""
    with contextlib.closing(sqlite3.connect(ledger_path)) as conn:
        rows = conn.execute("SELECT claimed_at FROM jobs WHERE claimed_at IS NOT NULL")
        return [float(row[0]) for row in rows]


def step_means(log: str, tracks: int) -> dict[str, float]:
    """Mean seconds per track of each step the daemon logged (``; steps: name 0.12s, …``;
    a daemon from before the steps were logged: its ``download Xs, process Ys``)."""
    totals: dict[str, float] = {}
    for line in _STEPS.findall(log):
        for part in line.split(", "):
            name, _, value = part.rpartition(" ")
            if name and value.endswith("s"):
                totals[name] = totals.get(name, 0.0) + float(value[:-1])
    if not totals:
        for download, process in _OLD_STEPS.findall(log):
            totals["download"] = totals.get("download", 0.0) + float(download)
            totals["process+tag+file"] = totals.get("process+tag+file", 0.0) + float(process)
    return {name: total / tracks for name, total in totals.items()}


def identity_settings(services: LoopbackServer) -> dict[str, Any]:
    """Config overrides that turn identity on against loopback stand-ins of both services."""
    from tests.fakes.musicbrainz import FakeAcoustid, FakeMusicBrainz

    brainz, acoustid = FakeMusicBrainz(services), FakeAcoustid(services)
    return {
        "musicbrainz": {"enabled": True, "api_url": brainz.api_url},
        "acoustid": {"api_key": acoustid.api_key, "api_url": acoustid.api_url},
    }


def run(
    tracks: int, seconds: float, repeat: int, folder: Path, *, identity: bool = False
) -> dict[str, Any]:
    cores = os.cpu_count() or 1
    ffmpeg = find_ffmpeg().path
    sources = folder / "sources"
    sources.mkdir()
    inputs = make_inputs(ffmpeg, sources, tracks, seconds, cores)
    load_before = load_average()
    bare: list[dict[str, float]] = []
    ours: list[dict[str, Any]] = []
    with_identity: list[dict[str, Any]] = []
    with silence_resets(LoopbackServer()) as server, LoopbackServer() as services:
        on = identity_settings(services) if identity else {}
        types = dict(_FORMATS)
        urls = [
            server.add(f"/{src.name}", src.read_bytes(), types[src.suffix.lstrip(".")])
            for src in inputs
        ]
        for round_ in range(repeat):
            bare.append(run_bare(ffmpeg, inputs, folder, cores))
            env = bench_env(folder / f"world-{round_}", download={"workers": cores})
            timeout_s = max(120.0, 10 * bare[-1]["wall_s"])
            ours.append(run_daemon(env, urls, timeout_s=timeout_s))
            if identity:
                env = bench_env(folder / f"world-on-{round_}", download={"workers": cores}, **on)
                with_identity.append(run_daemon(env, urls, timeout_s=timeout_s))
                last = with_identity[-1]
                print(f"  round {round_ + 1}, identity on: {last['wall_s']:.2f} s "
                      f"({last['cpu_s']:.1f} CPU-s, {last['python_cpu_s']:.1f} in Python)",
                      flush=True)  # fmt: skip
            print(
                f"  round {round_ + 1}: bare {bare[-1]['wall_s']:.2f} s ({bare[-1]['cpu_s']:.1f}"
                f" CPU-s), daemon {ours[-1]['wall_s']:.2f} s ({ours[-1]['cpu_s']:.1f} CPU-s, "
                f"{ours[-1]['python_cpu_s']:.1f} in Python),"
                f" load {load_average()}",
                flush=True,
            )
    load_after = load_average()

    def median(rows: Sequence[dict[str, Any]], key: str) -> float:
        return statistics.median(row[key] for row in rows)

    wall_ratios = [o["wall_s"] / b["wall_s"] for o, b in zip(ours, bare, strict=True)]
    cpu_ratios = [o["cpu_s"] / b["cpu_s"] for o, b in zip(ours, bare, strict=True)]
    step_names = sorted({name for o in ours for name in o["steps"]})
    steps = {
        name: round(statistics.median(o["steps"].get(name, 0.0) for o in ours), 3)
        for name in step_names
    }
    daemon_s, bare_s = median(ours, "wall_s"), median(bare, "wall_s")
    identity_on: dict[str, Any] = {}
    if with_identity:
        pairs = list(zip(with_identity, ours, strict=True))
        identity_on = {
            "daemon_s": round(median(with_identity, "wall_s"), 2),
            "cpu_s": round(median(with_identity, "cpu_s"), 2),
            "wall_ratio_to_off": round(statistics.median(a["wall_s"] / b["wall_s"]
                                                         for a, b in pairs), 3),
            "cpu_ratio_to_off": round(statistics.median(a["cpu_s"] / b["cpu_s"]
                                                        for a, b in pairs), 3),
            "ratio_to_bare": round(statistics.median(
                a["wall_s"] / b["wall_s"] for a, b in zip(with_identity, bare, strict=True)), 3),
            "peak_rss_mb": round(median(with_identity, "peak_rss_mb"), 1),
            "peak_private_mb": round(median(with_identity, "peak_private_mb"), 1),
            "peak_rss_off_mb": round(median(ours, "peak_rss_mb"), 1),
            "peak_private_off_mb": round(median(ours, "peak_private_mb"), 1),
        }  # fmt: skip
    return {
        "identity_on": identity_on,
        "tracks": tracks,
        "input_s": seconds,
        "workers": cores,
        "repeat": repeat,
        "daemon_s": round(daemon_s, 2),
        "bare_parallel_s": round(bare_s, 2),
        "ratio": round(statistics.median(wall_ratios), 3),
        "ratio_target": RATIO_TARGET,
        "daemon_cpu_s": round(median(ours, "cpu_s"), 2),
        "daemon_cpu_total_s": round(median(ours, "cpu_total_s"), 2),
        "daemon_python_cpu_s": round(median(ours, "python_cpu_s"), 2),
        "daemon_startup_cpu_s": round(median(ours, "startup_cpu_s"), 2),
        "bare_cpu_s": round(median(bare, "cpu_s"), 2),
        "cpu_ratio": round(statistics.median(cpu_ratios), 3),
        "rounds": [
            {
                "bare": {k: round(v, 2) for k, v in b.items()},
                "daemon": {k: round(v, 2) for k, v in o.items() if k != "steps"},
            }
            for b, o in zip(bare, ours, strict=True)
        ],  # fmt: skip
        "steps_s": steps,
        "load_before": load_before,
        "load_after": load_after,
        "tracks_per_min": round(tracks / daemon_s * 60, 1),
    }


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        prog="python -m bench.throughput",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="4 tracks of 5 s, one round")
    parser.add_argument("--tracks", type=int, default=None, help="tracks (8; quick: 4)")
    parser.add_argument("--seconds", type=float, default=None, help="input length (180; quick: 5)")
    parser.add_argument("--repeat", type=int, default=None, help="rounds (3; quick: 1)")
    parser.add_argument(
        "--identity",
        action="store_true",
        help="also run each round with identity on (loopback stand-ins)",
    )
    args = parser.parse_args(argv)
    tracks = args.tracks or (4 if args.quick else 8)
    seconds = args.seconds or (5.0 if args.quick else 180.0)
    repeat = args.repeat or (1 if args.quick else 3)
    print(f"load average before: {machine()['load_average']} on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="bench-throughput-") as tmp:
        result = run(tracks, seconds, repeat, Path(tmp), identity=args.identity)
    steps = ", ".join(f"{name} {value:.2f}" for name, value in result["steps_s"].items())
    print(
        f"throughput: {tracks} × {seconds:.0f} s tracks through the running daemon, "
        f"{result['workers']} download workers, median of {repeat}\n"
        f"  inbox rename → all filed: {result['daemon_s']:7.2f} s "
        f"({result['tracks_per_min']} tracks/min), {result['daemon_cpu_s']} CPU-s "
        f"({result['daemon_cpu_total_s']} since start-up, of which {result['daemon_startup_cpu_s']}"
        f" start-up and warm-up before the drop; the daemon's own Python: "
        f"{result['daemon_python_cpu_s']})\n"
        f"  bare encodes, {result['workers']} at a time: {result['bare_parallel_s']:5.2f} s, "
        f"{result['bare_cpu_s']} CPU-s\n"
        f"  wall ratio {result['ratio']:.2f} (target <= {RATIO_TARGET}), "
        f"CPU ratio {result['cpu_ratio']:.2f}\n"
        f"  per track (s): {steps}\n"
        f"  load average (1, 5, 15 min): before {result['load_before']}, "
        f"after {result['load_after']}"
    )
    if result["identity_on"]:
        on = result["identity_on"]
        print(f"  identity on: {on['daemon_s']} s, {on['cpu_s']} CPU-s; on / off: wall "
              f"{on['wall_ratio_to_off']}, CPU {on['cpu_ratio_to_off']}; on / bare: "
              f"{on['ratio_to_bare']}; peak memory of the daemon and what it runs, on / off: "
              f"RSS {on['peak_rss_mb']} / {on['peak_rss_off_mb']} MB, private "
              f"{on['peak_private_mb']} / {on['peak_private_off_mb']} MB")  # fmt: skip
    return result


if __name__ == "__main__":
    main()
