"""Measure the process step: ``python -m bench.processing [--quick]``.

Speed: for 3-minute music-like inputs (pink noise + tone, with silence at both ends) in mp3, m4a,
opus and flac, times the whole process step (``FfmpegAudioProcessor.process`` + ``MutagenTagger
.write`` with a cover) with the default settings (mp3 192k, loudness -14 LUFS, trim) against a
bare ``ffmpeg -i IN -c:a libmp3lame -b:a 192k OUT`` with the same ffmpeg. Target ratio <= 1.15.
Each figure is the median of ``--repeat`` runs, interleaved so both see the same machine state.
Loaded: the four inputs run ``cores`` at a time (every core busy), the process step against the
bare encodes, wall and CPU seconds (this process's threads and children, ``getrusage``).

Memory: runs the process step in a child interpreter on a 60-minute and a 4-minute input and
reports the peak RSS of the largest single process (the interpreter's ``VmHWM``, or ffmpeg's
from ``bench.common.ChildPeaks``) and the peak of the whole tree (child + its ffmpeg, polled
from /proc). Targets: 300 MB and 150 MB.

``--quick`` uses 10-second inputs everywhere so a test can run it in seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench.common import ChildPeaks
from spotsyncd.core.config import AudioConfig
from spotsyncd.core.models import TrackMeta
from spotsyncd.media.audio import FfmpegAudioProcessor
from spotsyncd.media.tags import MutagenTagger
from spotsyncd.system.tools import find_ffmpeg

RATIO_TARGET = 1.15
RSS_TARGET_MB = {"long": 300.0, "song": 150.0}
_CODECS = {
    "mp3": ["-c:a", "libmp3lame", "-b:a", "192k"],
    "m4a": ["-c:a", "aac", "-b:a", "160k"],
    "opus": ["-c:a", "libopus", "-b:a", "128k"],
    "flac": ["-c:a", "flac", "-sample_fmt", "s16"],
}
_COVER = b"\xff\xd8\xff\xe0" + bytes(30_000)


def make_music(ffmpeg: Path, path: Path, seconds: float) -> Path:
    """Something that costs an encoder what music costs: broadband noise and a pulsing tone,
    2 s of silence before and 3 s after, in the codec ``path``'s suffix names."""
    graph = (
        f"anoisesrc=color=pink:sample_rate=44100:amplitude=0.3:duration={seconds}[n];"
        f"sine=f=220:sample_rate=44100:duration={seconds}[s];"
        "[n][s]amix=inputs=2,tremolo=f=2,aformat=channel_layouts=stereo,"
        "adelay=2000:all=1,apad=pad_dur=3,asetpts=N/SR/TB"
    )
    cmd = [str(ffmpeg), "-hide_banner", "-loglevel", "error", "-y", "-filter_complex", graph,
           *_CODECS[path.suffix.lstrip(".")], str(path)]  # fmt: skip
    subprocess.run(cmd, check=True)
    return path


def process_step(
    ffmpeg: Path,
    src: Path,
    dest: Path,
    steps: dict[str, float] | None = None,
    *,
    fingerprint: bool = False,
) -> float:
    """The pipeline's process step on ``src``; its wall time in seconds. ``steps`` adds up the
    seconds of its probe, analysis and encode. ``fingerprint``: as with identity on (the
    encode takes the fingerprint too; it must)."""
    started = time.perf_counter()
    result = FfmpegAudioProcessor(ffmpeg).process(src, dest, AudioConfig(), fingerprint=fingerprint)
    if fingerprint and result.fingerprint is None:
        raise RuntimeError(f"the encode of {src.name} took no fingerprint")
    for name, seconds in getattr(result, "timings", {}).items():
        if steps is not None:
            steps[name] = steps.get(name, 0.0) + seconds
    meta = TrackMeta(title="Bench", artists=("Bench Artist",), album="Bench", track_number=1)
    MutagenTagger().write(result.path, meta, key="bench:1", cover=_COVER, replaygain=result)
    return time.perf_counter() - started


def bare_encode(ffmpeg: Path, src: Path, dest: Path) -> float:
    started = time.perf_counter()
    subprocess.run([str(ffmpeg), "-hide_banner", "-loglevel", "error", "-y", "-i", str(src),
                    "-c:a", "libmp3lame", "-b:a", "192k", str(dest)], check=True)  # fmt: skip
    return time.perf_counter() - started


def measure_speed(ffmpeg: Path, work: Path, seconds: float, repeat: int) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    for ext in _CODECS:
        src = make_music(ffmpeg, work / f"in.{ext}", seconds)
        ours, bare = [], []
        for run in range(repeat):
            bare.append(bare_encode(ffmpeg, src, work / f"bare-{ext}-{run}.mp3"))
            ours.append(process_step(ffmpeg, src, work / f"ours-{ext}-{run}"))
        figures[ext] = {
            "process_s": round(statistics.median(ours), 3),
            "bare_s": round(statistics.median(bare), 3),
            "ratio": round(statistics.median(ours) / statistics.median(bare), 3),
        }
    return figures


def _cpu_now() -> float:
    """CPU seconds of this process (all threads) and its reaped children so far."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _batch(
    step: Callable[[Path, Path], float], inputs: list[Path], out: Path, cores: int
) -> dict[str, float]:
    """``step`` on every input, ``cores`` at a time: wall and CPU seconds of the batch."""
    cpu, started = _cpu_now(), time.perf_counter()
    with ThreadPoolExecutor(max_workers=cores) as pool:
        list(pool.map(lambda n: step(inputs[n], out / f"{n}"), range(len(inputs))))
    return {"wall_s": time.perf_counter() - started, "cpu_s": _cpu_now() - cpu}


def measure_loaded(ffmpeg: Path, work: Path, seconds: float, repeat: int) -> dict[str, Any]:
    """The issue's loaded case: the four inputs, ``cores`` at a time (every core busy), the
    process step against bare encodes; rounds interleaved, medians."""
    cores = os.cpu_count() or 1
    inputs = [make_music(ffmpeg, work / f"loaded.{ext}", seconds) for ext in _CODECS]
    ours, bare = [], []
    steps: dict[str, float] = {}
    for run in range(repeat):
        folder = work / f"loaded-{run}"
        folder.mkdir()
        bare.append(_batch(lambda src, dest: bare_encode(ffmpeg, src, dest.with_suffix(".mp3")),
                           inputs, folder, cores))  # fmt: skip
        ours.append(
            _batch(lambda src, dest: process_step(ffmpeg, src, dest, steps), inputs, folder, cores)
        )
    runs = repeat * len(inputs)
    per_file = {name: round(seconds / runs, 3) for name, seconds in steps.items()}
    figures: dict[str, Any] = {"cores": cores, "files": len(inputs), "steps_s": per_file}
    for key in ("wall_s", "cpu_s"):
        figures[f"process_{key}"] = round(statistics.median(r[key] for r in ours), 3)
        figures[f"bare_{key}"] = round(statistics.median(r[key] for r in bare), 3)
    figures["ratio"] = round(
        statistics.median(o["wall_s"] / b["wall_s"] for o, b in zip(ours, bare, strict=True)), 3
    )
    figures["cpu_ratio"] = round(
        statistics.median(o["cpu_s"] / b["cpu_s"] for o, b in zip(ours, bare, strict=True)), 3
    )
    return figures


def _tree_rss_kb(root: int) -> int:
    """Resident KB of ``root`` and every process below it (Linux /proc)."""
    total, pending = 0, [root]
    while pending:
        pid = pending.pop()
        try:
            with open(f"/proc/{pid}/status") as fh:
                total += next((int(ln.split()[1]) for ln in fh if ln.startswith("VmRSS:")), 0)
            with open(f"/proc/{pid}/task/{pid}/children") as fh:
                pending += [int(c) for c in fh.read().split()]
        except (OSError, ValueError):
            continue
    return total


def measure_rss(src: Path, dest: Path, input_s: float) -> dict[str, float]:
    """Peak memory of the process step on ``src``, run in a fresh child interpreter."""
    cmd = [sys.executable, "-m", "bench.processing", "--child", str(src), str(dest)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    tree_peak = 0
    while proc.poll() is None:
        tree_peak = max(tree_peak, _tree_rss_kb(proc.pid))
        time.sleep(0.01)
    out, _ = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"child failed on {src}")
    child = json.loads(out)
    largest = max(child["self_maxrss_kb"], child["children_maxrss_kb"])
    # Sampling every 10 ms can miss a short-lived ffmpeg's peak; the tree was at least that big.
    tree_peak = max(tree_peak, largest)
    return {
        "input_s": input_s,
        "seconds": round(child["seconds"], 2),
        "largest_process_mb": round(largest / 1024, 1),
        "python_mb": round(child["self_maxrss_kb"] / 1024, 1),
        "ffmpeg_mb": round(child["children_maxrss_kb"] / 1024, 1),
        "tree_peak_mb": round(tree_peak / 1024, 1),
    }


def _child(src: Path, dest: Path) -> None:
    ffmpeg = find_ffmpeg().path
    with ChildPeaks() as ffmpeg_peaks:  # not ru_maxrss of the children: it counts this process
        seconds = process_step(ffmpeg, src, dest)
    duration = (
        FfmpegAudioProcessor(ffmpeg)
        .process(dest / "audio.mp3", dest / "check", AudioConfig(format="original"))
        .duration_s
    )
    print(json.dumps({
        "seconds": seconds,
        "input_s": duration,
        "self_maxrss_kb": _own_peak_kb(),
        "children_maxrss_kb": ffmpeg_peaks.rss_kb,
    }))  # fmt: skip


def _own_peak_kb() -> int:
    """This process's peak RSS since its exec (``VmHWM``). ``ru_maxrss`` would do on a quiet
    start, but Linux carries the high-water mark across exec: a child forked from a big parent
    (pytest, late in the suite) would report the parent's size as its own."""
    try:
        with open("/proc/self/status") as fh:
            return next(int(ln.split()[1]) for ln in fh if ln.startswith("VmHWM:"))
    except (OSError, StopIteration, ValueError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _print_loaded(loaded: dict[str, Any]) -> None:
    steps = ", ".join(f"{name} {value:.2f}" for name, value in loaded["steps_s"].items())
    print(f"loaded: {loaded['files']} inputs {loaded['cores']} at a time: process "
          f"{loaded['process_wall_s']:.2f} s / {loaded['process_cpu_s']:.1f} CPU-s, bare "
          f"{loaded['bare_wall_s']:.2f} s / {loaded['bare_cpu_s']:.1f} CPU-s: ratio "
          f"{loaded['ratio']:.2f} wall, {loaded['cpu_ratio']:.2f} CPU; per file (s): "
          f"{steps or 'no step timings'}; load average after {os.getloadavg()[0]:.2f}")  # fmt: skip


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        prog="python -m bench.processing",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="10-second inputs")
    parser.add_argument("--repeat", type=int, default=None, help="runs per figure (3; quick: 1)")
    parser.add_argument("--loaded-only", action="store_true",
                        help="only the loaded figure (inputs cores at a time)")  # fmt: skip
    parser.add_argument("--child", nargs=2, metavar=("SRC", "DEST"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(Path(args.child[0]), Path(args.child[1]))
        return {}
    ffmpeg = find_ffmpeg().path
    song_s, long_s, speed_s = (10.0, 10.0, 10.0) if args.quick else (240.0, 3600.0, 180.0)
    repeat = args.repeat or (1 if args.quick else 3)
    if hasattr(os, "getloadavg"):
        print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs "
              "(other work on the machine skews the ratio)")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="bench-processing-") as tmp:
        work = Path(tmp)
        if args.loaded_only:
            loaded = measure_loaded(ffmpeg, work, speed_s, repeat)
            _print_loaded(loaded)
            return {"loaded": loaded, "load_average": os.getloadavg()}
        speed = measure_speed(ffmpeg, work, speed_s, repeat)
        print(f"process step vs bare libmp3lame 192k, {speed_s:.0f} s inputs, "
              f"median of {repeat} (target ratio <= {RATIO_TARGET}):")  # fmt: skip
        for ext, fig in speed.items():
            print(f"  {ext:5} ours {fig['process_s']:6.2f} s   bare {fig['bare_s']:6.2f} s"
                  f"   ratio {fig['ratio']:.2f}")  # fmt: skip
        loaded = measure_loaded(ffmpeg, work, speed_s, repeat)
        _print_loaded(loaded)
        rss = {}
        for name, seconds in (("long", long_s), ("song", song_s)):
            src = make_music(ffmpeg, work / f"rss-{name}.mp3", seconds)
            rss[name] = measure_rss(src, work / f"rss-{name}-out", seconds)
            fig = rss[name]
            print(f"peak RSS, {fig['input_s']:.0f} s mp3 input (target {RSS_TARGET_MB[name]:.0f}"
                  f" MB): largest process {fig['largest_process_mb']} MB (python "
                  f"{fig['python_mb']}, ffmpeg {fig['ffmpeg_mb']}), whole tree "
                  f"{fig['tree_peak_mb']} MB, took {fig['seconds']} s")  # fmt: skip
    return {
        "quick": args.quick,
        "speed": speed,
        "loaded": loaded,
        "max_ratio": max(fig["ratio"] for fig in speed.values()),
        "rss": rss,
        "rss_targets_mb": RSS_TARGET_MB,
        "ratio_target": RATIO_TARGET,
        "cpu_count": os.cpu_count(),
        "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
    }


if __name__ == "__main__":
    main()
