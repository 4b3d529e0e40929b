"""Measure what identity costs the audio step: ``python -m bench.identity [--quick]``.

For 3-minute music-like inputs in m4a, opus, mp3 and flac (bench.processing's), runs the
pipeline's CPU half with identity off (the process step: probe, analysis, encode, tag) and on
(the fingerprint of the first 120 s, as ``spotsyncd.identity.fingerprint`` takes it, then the
same process step), interleaved, ``--repeat`` rounds; the figures are medians. CPU is
user+system seconds of the ffmpeg children (``getrusage``), which is where the work is: the
target is at most 5 % more CPU with identity on.

Memory: the fingerprint runs before the encode, never beside it, so it adds to the peak only if
its own ffmpeg is larger than the process step's: both peaks are measured in child interpreters
(``ru_maxrss`` of their children), and the figure is how far the fingerprint's exceeds the
process step's (target 0 MB). The lookups themselves wait on the network holding no slot
(``engine/jobs/identity_check.py``); they are not CPU work and are not measured here.

``--quick``: 10-second inputs, one round.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.processing import make_music, process_step
from spotsyncd.identity.fingerprint import fingerprint
from spotsyncd.system.tools import find_ffmpeg

CPU_TARGET_PCT = 5.0
RSS_TARGET_MB = 0.0
FORMATS = ("m4a", "opus", "mp3", "flac")

_CHILD = """
import json, resource, sys
from pathlib import Path
from bench.processing import process_step
from spotsyncd.identity.fingerprint import fingerprint
ffmpeg, src, out, what = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
if what == "fingerprint":
    assert fingerprint(ffmpeg, src) is not None
else:
    process_step(ffmpeg, src, out)
print(json.dumps(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024))
"""


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def peak_mb(ffmpeg: Path, src: Path, out: Path, what: str) -> float:
    done = subprocess.run([sys.executable, "-c", _CHILD, str(ffmpeg), str(src), str(out), what],
                          capture_output=True, text=True, check=True,
                          cwd=Path(__file__).resolve().parents[1])  # fmt: skip
    return float(json.loads(done.stdout.strip().splitlines()[-1]))


def run(seconds: float, repeat: int, folder: Path) -> dict[str, Any]:
    ffmpeg = find_ffmpeg().path
    rows: dict[str, dict[str, Any]] = {}
    for ext in FORMATS:
        src = make_music(ffmpeg, folder / f"in.{ext}", seconds)
        off: list[float] = []
        on: list[float] = []
        prints: list[float] = []
        for round_no in range(repeat):
            out = folder / f"out-{ext}-{round_no}"
            out.mkdir()
            before = children_cpu()
            process_step(ffmpeg, src, out / "off")
            off.append(children_cpu() - before)
            before = children_cpu()
            assert fingerprint(ffmpeg, src) is not None
            middle = children_cpu()
            process_step(ffmpeg, src, out / "on")
            on.append(children_cpu() - before)
            prints.append(middle - before)
        cpu_off, cpu_on = statistics.median(off), statistics.median(on)
        extra_pct = 100.0 * statistics.median(prints) / cpu_off
        memory = folder / f"mem-{ext}"
        memory.mkdir()
        process_rss = peak_mb(ffmpeg, src, memory, "process")
        print_rss = peak_mb(ffmpeg, src, memory, "fingerprint")
        rows[ext] = {
            "cpu_off_s": round(cpu_off, 3),
            "cpu_on_s": round(cpu_on, 3),
            "fingerprint_cpu_s": round(statistics.median(prints), 3),
            "extra_cpu_pct": round(extra_pct, 2),
            "process_peak_mb": round(process_rss, 1),
            "fingerprint_peak_mb": round(print_rss, 1),
            "extra_peak_mb": round(max(0.0, print_rss - process_rss), 1),
        }
        print(f"{ext}: CPU off {cpu_off:.2f}s, on {cpu_on:.2f}s (fingerprint "
              f"{statistics.median(prints):.3f}s, +{extra_pct:.1f}%); peak RSS process "
              f"{process_rss:.0f} MB, fingerprint {print_rss:.0f} MB", flush=True)  # fmt: skip
    return {
        "seconds": seconds,
        "repeat": repeat,
        "formats": rows,
        "extra_cpu_pct": max(r["extra_cpu_pct"] for r in rows.values()),
        "extra_peak_mb": max(r["extra_peak_mb"] for r in rows.values()),
        "cpu_target_pct": CPU_TARGET_PCT,
        "rss_target_mb": RSS_TARGET_MB,
    }


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        prog="python -m bench.identity",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="10-second inputs, one round")
    parser.add_argument("--repeat", type=int, default=3, help="rounds (default 3)")
    args = parser.parse_args(argv)
    seconds, repeat = (10.0, 1) if args.quick else (180.0, args.repeat)
    with tempfile.TemporaryDirectory(prefix="spotsyncd-bench-identity-") as folder:
        return run(seconds, repeat, Path(folder))


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
