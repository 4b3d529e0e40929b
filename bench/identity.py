"""Measure what identity costs the audio step: ``python -m bench.identity [--quick]``.

For 3-minute music-like inputs in m4a, opus, mp3 and flac (bench.processing's), runs the
pipeline's CPU half (the process step: probe, analysis, encode, tag) with identity off and on,
interleaved, ``--repeat`` rounds. On, the encode also takes the fingerprint of the first 120 s
from its own decode (``spotsyncd.media.audio``, as the pipeline asks it). CPU is user+system
seconds of the ffmpeg children (``getrusage``), which is where the work is; the extra is the
median of each round's on minus off, as a share of the median off: the target is at most 5 %.
For comparison, the separate process that fingerprints a stream copy (``format: original``,
``spotsyncd.identity.fingerprint``) is timed in the same rounds.

``--instructions`` also counts, with valgrind's callgrind, the instructions the step's ffmpeg
runs execute, off and on (two at once: counts do not depend on the load), so the extra is the
same figure on a busy machine as on a quiet one; it leaves out what a thread hand-off costs
beyond its instructions, which the CPU seconds include.

Memory: peaks are measured in child interpreters, interleaved, medians of up to 5 (one ffmpeg's
RSS varies by ±2 MB from run to run); the figure is how far the process step's peak with the
fingerprint exceeds it without (target 0 MB). Only the ffmpeg runs count
(``bench.common.ChildPeaks``, sampled every 2 ms): their RSS (their sum at one moment, or one
run's high-water mark) and their private memory (``RssAnon`` summed over those running at
once). RSS counts the pages of ffmpeg's own code a run touches (Chromaprint's among them: shared
with every other ffmpeg and given back under pressure); the private memory is what the machine
gives this step alone. Whichever of the step's runs sets the peak sets it for the step: the
encode that takes the fingerprint adds to the peak only if it is now the largest run. The
separate process runs before the encode, never beside it. The lookups themselves wait on the
network holding no slot (``engine/jobs/identity_check.py``); they are not CPU work and are
measured by ``bench.lookups``.

``--quick``: 10-second inputs, one round (the whole file fingerprinted: a larger share).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench.processing import make_music, process_step
from spotsyncd.identity.fingerprint import fingerprint
from spotsyncd.system.tools import find_ffmpeg

CPU_TARGET_PCT = 5.0
RSS_TARGET_MB = 0.0
FORMATS = ("m4a", "opus", "mp3", "flac")

_CHILD = """
import json, sys
from pathlib import Path
from bench.common import ChildPeaks
from bench.processing import process_step
from spotsyncd.identity.fingerprint import fingerprint

ffmpeg, src, out, what = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
with ChildPeaks() as peaks:
    if what == "separate":
        assert fingerprint(ffmpeg, src) is not None
    else:
        process_step(ffmpeg, src, out, fingerprint=what == "on")
printing = [run for run in peaks.runs.values() if " chromaprint " in run.command]
print(json.dumps([peaks.rss_kb / 1024, peaks.private_kb / 1024,
                  max((run.rss_kb for run in printing), default=0) / 1024,
                  max((run.private_kb for run in printing), default=0) / 1024]))
"""


_COUNTING = """#!/bin/sh
exec valgrind --tool=callgrind --callgrind-out-file="$SPOTSYNCD_BENCH_COUNTS/%p.out" -q \\
    {ffmpeg} "$@"
"""


# The step in a fresh interpreter, after asking once whether ffmpeg has the chromaprint muxer
# (``muxes_prints``, cached per process) so that question is not counted as the step's.
_COUNT_CHILD = """
import os, sys
from pathlib import Path
from bench.processing import process_step
from spotsyncd.media.audio_work import muxes_prints

wrapper, src, out, what = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
counts = os.environ["SPOTSYNCD_BENCH_COUNTS"]
os.environ["SPOTSYNCD_BENCH_COUNTS"] = str(Path(counts).parent)
assert muxes_prints(wrapper)
os.environ["SPOTSYNCD_BENCH_COUNTS"] = counts
process_step(wrapper, src, out, fingerprint=what == "on")
"""


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def peak_mb(ffmpeg: Path, src: Path, out: Path, what: str) -> tuple[float, float, float, float]:
    """The process step's peak RSS and private (anonymous) memory, its ffmpeg runs' only
    (``bench.common.ChildPeaks``), then the same two of the run that took the fingerprint (0
    if none did), in MB, measured in a fresh interpreter."""
    done = subprocess.run([sys.executable, "-c", _CHILD, str(ffmpeg), str(src), str(out), what],
                          capture_output=True, text=True, check=True,
                          cwd=Path(__file__).resolve().parents[1])  # fmt: skip
    rss, private, print_rss, print_private = json.loads(done.stdout.strip().splitlines()[-1])
    return float(rss), float(private), float(print_rss), float(print_private)


def counted(ffmpeg: Path, folder: Path) -> Path:
    """An ``ffmpeg`` that runs under callgrind, which counts the instructions each run executes
    (into ``$SPOTSYNCD_BENCH_COUNTS``): the same count for the same work whatever else the
    machine does, where CPU seconds on a shared machine scatter by more than the 5 % budget."""
    wrapper = folder / "ffmpeg-counted"
    wrapper.write_text(_COUNTING.format(ffmpeg=shlex.quote(str(ffmpeg))), encoding="utf-8")
    wrapper.chmod(0o755)
    return wrapper


def instructions(wrapper: Path, src: Path, out: Path, *, on: bool) -> int:
    """The instructions the process step's ffmpeg runs execute, in a fresh interpreter."""
    counts = out / "counts"
    counts.mkdir(parents=True)
    subprocess.run([sys.executable, "-c", _COUNT_CHILD, str(wrapper), str(src), str(out / "step"),
                    "on" if on else "off"], check=True, cwd=Path(__file__).resolve().parents[1],
                   env={**os.environ, "SPOTSYNCD_BENCH_COUNTS": str(counts)})  # fmt: skip
    total = 0
    for found in counts.glob("*.out"):
        with found.open(encoding="utf-8", errors="replace") as fh:
            total += sum(int(ln.split()[1]) for ln in fh if ln.startswith("summary:"))
    return total


def _cpu_of(action: Any, *args: Any, **kwargs: Any) -> float:
    before = children_cpu()
    action(*args, **kwargs)
    return children_cpu() - before


def run(seconds: float, repeat: int, folder: Path, *, count: bool = False) -> dict[str, Any]:
    ffmpeg = find_ffmpeg().path
    wrapper = counted(ffmpeg, folder) if count else None
    rows: dict[str, dict[str, Any]] = {}
    for ext in FORMATS:
        src = make_music(ffmpeg, folder / f"in.{ext}", seconds)
        rows[ext] = row = _cpu(ffmpeg, src, folder / f"cpu-{ext}", repeat)
        row.update(_memory(ffmpeg, src, folder / f"mem-{ext}", min(repeat, 5)))
        if wrapper is not None:
            row.update(_instructions(wrapper, src, folder / f"count-{ext}"))
            print(f"{ext}: instructions off {row['instructions_off']:,}, "
                  f"on {row['instructions_on']:,} "
                  f"(+{row['extra_instructions_pct']:.2f}%)")  # fmt: skip
        print(f"{ext}: CPU off {row['cpu_off_s']:.2f}s, on {row['cpu_on_s']:.2f}s "
              f"(+{row['extra_cpu_s']:.3f}s, +{row['extra_cpu_pct']:.1f}%; a separate process: "
              f"+{row['separate_cpu_pct']:.1f}%); peak RSS off {row['process_peak_mb']:.1f} MB, "
              f"on {row['process_on_peak_mb']:.1f} MB (the encode taking the print "
              f"{row['printing_encode_peak_mb']:.1f}), separate {row['separate_peak_mb']:.1f} MB;"
              f" private off {row['private_peak_mb']:.1f} MB, on {row['private_on_peak_mb']:.1f}"
              f" MB (the encode taking the print {row['printing_encode_private_mb']:.1f})",
              flush=True)  # fmt: skip
    counts = [r["extra_instructions_pct"] for r in rows.values() if "extra_instructions_pct" in r]
    return {
        "seconds": seconds,
        "repeat": repeat,
        "formats": rows,
        **({"extra_instructions_pct": max(counts)} if counts else {}),
        "extra_cpu_pct": max(r["extra_cpu_pct"] for r in rows.values()),
        "extra_peak_mb": max(r["extra_peak_mb"] for r in rows.values()),
        "extra_private_mb": max(r["extra_private_mb"] for r in rows.values()),
        "cpu_target_pct": CPU_TARGET_PCT,
        "rss_target_mb": RSS_TARGET_MB,
    }


def _cpu(ffmpeg: Path, src: Path, folder: Path, repeat: int) -> dict[str, Any]:
    """CPU seconds of the step off and on, and of the separate process, interleaved."""
    off: list[float] = []
    on: list[float] = []
    separate: list[float] = []
    for round_no in range(repeat):
        out = folder / str(round_no)
        out.mkdir(parents=True)
        off.append(_cpu_of(process_step, ffmpeg, src, out / "off"))
        on.append(_cpu_of(process_step, ffmpeg, src, out / "on", fingerprint=True))
        separate.append(_cpu_of(fingerprint, ffmpeg, src))
    cpu_off = statistics.median(off)
    extra = statistics.median(b - a for a, b in zip(off, on, strict=True))
    return {
        "cpu_off_s": round(cpu_off, 3),
        "cpu_on_s": round(statistics.median(on), 3),
        "extra_cpu_s": round(extra, 3),
        "extra_cpu_pct": round(100.0 * extra / cpu_off, 2),
        "separate_cpu_s": round(statistics.median(separate), 3),
        "separate_cpu_pct": round(100.0 * statistics.median(separate) / cpu_off, 2),
    }


def _memory(ffmpeg: Path, src: Path, folder: Path, rounds: int) -> dict[str, Any]:
    """Peaks of the step off and on and of the separate process, interleaved; medians."""
    peaks: dict[str, list[tuple[float, float, float, float]]] = {"off": [], "on": [],
                                                                  "separate": []}  # fmt: skip
    for round_no in range(rounds):
        for what, found in peaks.items():
            found.append(peak_mb(ffmpeg, src, folder / str(round_no) / what, what))

    def median(what: str, index: int) -> float:
        return statistics.median(values[index] for values in peaks[what])

    rss_off, own_off = median("off", 0), median("off", 1)
    print_rss, print_own = median("on", 2), median("on", 3)  # the encode taking the print
    return {
        "process_peak_mb": round(rss_off, 1),
        "process_on_peak_mb": round(median("on", 0), 1),
        "separate_peak_mb": round(median("separate", 0), 1),
        "printing_encode_peak_mb": round(print_rss, 1),
        # Added by the fingerprint: how far the run that takes it goes above the step's peak
        # without it (0 while another run sets the peak); not on − off, whose medians differ
        # by the other runs' own noise.
        "extra_peak_mb": round(max(0.0, print_rss - rss_off), 1),
        "private_peak_mb": round(own_off, 1),
        "private_on_peak_mb": round(median("on", 1), 1),
        "printing_encode_private_mb": round(print_own, 1),
        "extra_private_mb": round(max(0.0, print_own - own_off), 1),
    }


def _instructions(wrapper: Path, src: Path, folder: Path) -> dict[str, Any]:
    with ThreadPoolExecutor(2) as pool:  # the counts do not depend on the load
        off, on = pool.map(
            lambda on: instructions(wrapper, src, folder / str(on), on=on), (False, True)
        )
    return {"instructions_off": off, "instructions_on": on,
            "extra_instructions_pct": round(100.0 * (on - off) / off, 2)}  # fmt: skip


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        prog="python -m bench.identity",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="10-second inputs, one round")
    parser.add_argument("--repeat", type=int, default=5, help="rounds (default 5)")
    parser.add_argument("--instructions", action="store_true",
                        help="also count the instructions ffmpeg runs, off and on (needs valgrind;"
                             " ~4 min for 3-minute inputs)")  # fmt: skip
    args = parser.parse_args(argv)
    if args.instructions and shutil.which("valgrind") is None:
        parser.error("--instructions needs valgrind (Debian: apt install valgrind)")
    seconds, repeat = (10.0, 1) if args.quick else (180.0, args.repeat)
    with tempfile.TemporaryDirectory(prefix="spotsyncd-bench-identity-") as folder:
        return run(seconds, repeat, Path(folder), count=args.instructions)


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
