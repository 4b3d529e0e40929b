"""Measure what identity costs the audio step: ``python -m bench.identity [--quick]``.

For 3-minute music-like inputs in m4a, opus, mp3 and flac (bench.processing's), runs the
pipeline's CPU half (the process step: probe, analysis, encode, tag) with identity off and on,
interleaved, ``--repeat`` rounds. On, the encode also takes the fingerprint of the first 120 s
from its own decode (``spotsyncd.media.audio``, as the pipeline asks it). CPU is user+system
seconds of the ffmpeg children (``getrusage``), which is where the work is; the extra is the
median of each round's on minus off, as a share of the median off: the target is at most 5 %.
For comparison, the separate process that fingerprints a stream copy (``format: original``,
``spotsyncd.identity.fingerprint``) is timed in the same rounds.

Memory: peaks are measured in child interpreters (``ru_maxrss`` of their children: the largest
ffmpeg), interleaved, medians of up to 3 (one ffmpeg's peak varies by ±2 MB from run to run);
the figure is how far the process step's peak with the fingerprint exceeds it without (target
0 MB). RSS counts the pages of ffmpeg's own code it touches (Chromaprint's among them: shared
with every other ffmpeg and given back under pressure), so the private part is reported too:
the children's ``RssAnon``, summed over those running at once, sampled every 2 ms; its largest
value is the process step's private peak, whichever of its ffmpeg runs sets it. The separate
process runs before the encode, never beside it, so its peak adds only if it is above the
process step's. The lookups themselves wait on the network holding no slot
(``engine/jobs/identity_check.py``); they are not CPU work and are measured by
``bench.lookups``.

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
import json, resource, sys, threading, time
from pathlib import Path
from bench.common import children_private_kb
from bench.processing import process_step
from spotsyncd.identity.fingerprint import fingerprint

private = [0]
done = threading.Event()

def sample():  # the children's RssAnon summed at each moment (two halves analysed at once
    while not done.is_set():  # count twice): the largest sum is the step's private peak
        private[0] = max(private[0], children_private_kb())
        time.sleep(0.002)

threading.Thread(target=sample, daemon=True).start()
ffmpeg, src, out, what = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
if what == "separate":
    assert fingerprint(ffmpeg, src) is not None
else:
    process_step(ffmpeg, src, out, fingerprint=what == "on")
done.set()
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps([rss, private[0] / 1024]))
"""


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def peak_mb(ffmpeg: Path, src: Path, out: Path, what: str) -> tuple[float, float]:
    """The largest ffmpeg's peak RSS and its largest private (anonymous) memory, in MB."""
    done = subprocess.run([sys.executable, "-c", _CHILD, str(ffmpeg), str(src), str(out), what],
                          capture_output=True, text=True, check=True,
                          cwd=Path(__file__).resolve().parents[1])  # fmt: skip
    rss, private = json.loads(done.stdout.strip().splitlines()[-1])
    return float(rss), float(private)


def _cpu_of(action: Any, *args: Any, **kwargs: Any) -> float:
    before = children_cpu()
    action(*args, **kwargs)
    return children_cpu() - before


def run(seconds: float, repeat: int, folder: Path) -> dict[str, Any]:
    ffmpeg = find_ffmpeg().path
    rows: dict[str, dict[str, Any]] = {}
    for ext in FORMATS:
        src = make_music(ffmpeg, folder / f"in.{ext}", seconds)
        off: list[float] = []
        on: list[float] = []
        separate: list[float] = []
        for round_no in range(repeat):
            out = folder / f"out-{ext}-{round_no}"
            out.mkdir()
            off.append(_cpu_of(process_step, ffmpeg, src, out / "off"))
            on.append(_cpu_of(process_step, ffmpeg, src, out / "on", fingerprint=True))
            separate.append(_cpu_of(fingerprint, ffmpeg, src))
        cpu_off, cpu_on = statistics.median(off), statistics.median(on)
        extra = statistics.median(b - a for a, b in zip(off, on, strict=True))
        extra_pct = 100.0 * extra / cpu_off
        separate_pct = 100.0 * statistics.median(separate) / cpu_off
        peaks: dict[str, list[float]] = {"off": [], "on": [], "separate": []}
        privates: dict[str, list[float]] = {"off": [], "on": [], "separate": []}
        for round_no in range(min(repeat, 3)):  # a peak varies by a few MB from run to run
            memory = folder / f"mem-{ext}-{round_no}"
            memory.mkdir()
            for what, found in peaks.items():
                rss, private = peak_mb(ffmpeg, src, memory / what, what)
                found.append(rss)
                privates[what].append(private)
        rss_off, rss_on, rss_separate = (statistics.median(peaks[w]) for w in peaks)
        own_off, own_on = statistics.median(privates["off"]), statistics.median(privates["on"])
        rows[ext] = {
            "cpu_off_s": round(cpu_off, 3),
            "cpu_on_s": round(cpu_on, 3),
            "extra_cpu_s": round(extra, 3),
            "extra_cpu_pct": round(extra_pct, 2),
            "separate_cpu_s": round(statistics.median(separate), 3),
            "separate_cpu_pct": round(separate_pct, 2),
            "process_peak_mb": round(rss_off, 1),
            "process_on_peak_mb": round(rss_on, 1),
            "separate_peak_mb": round(rss_separate, 1),
            "extra_peak_mb": round(max(0.0, rss_on - rss_off), 1),
            "private_peak_mb": round(own_off, 1),
            "private_on_peak_mb": round(own_on, 1),
            "extra_private_mb": round(max(0.0, own_on - own_off), 1),
        }
        print(f"{ext}: CPU off {cpu_off:.2f}s, on {cpu_on:.2f}s (+{extra:.3f}s, "
              f"+{extra_pct:.1f}%; a separate process: +{separate_pct:.1f}%); peak RSS "
              f"off {rss_off:.1f} MB, on {rss_on:.1f} MB, separate {rss_separate:.1f} MB; "
              f"private off {own_off:.1f} MB, on {own_on:.1f} MB", flush=True)  # fmt: skip
    return {
        "seconds": seconds,
        "repeat": repeat,
        "formats": rows,
        "extra_cpu_pct": max(r["extra_cpu_pct"] for r in rows.values()),
        "extra_peak_mb": max(r["extra_peak_mb"] for r in rows.values()),
        "extra_private_mb": max(r["extra_private_mb"] for r in rows.values()),
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
    parser.add_argument("--repeat", type=int, default=5, help="rounds (default 5)")
    args = parser.parse_args(argv)
    seconds, repeat = (10.0, 1) if args.quick else (180.0, args.repeat)
    with tempfile.TemporaryDirectory(prefix="spotsyncd-bench-identity-") as folder:
        return run(seconds, repeat, Path(folder))


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
