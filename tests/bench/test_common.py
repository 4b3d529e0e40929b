"""bench.common.ChildPeaks: the memory of the programs a benchmark runs, not its own."""

from __future__ import annotations

import subprocess
import sys

from bench.common import ChildPeaks
from tests.fakes.audio import FFMPEG

_DECODE = [FFMPEG, "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
           "anoisesrc=duration=20:sample_rate=44100", "-c:a", "libmp3lame",
           "-f", "null", "-"]  # fmt: skip


def test_an_ffmpeg_run_is_measured() -> None:
    with ChildPeaks() as peaks:
        subprocess.run(_DECODE, check=True)
    assert 0 < peaks.private_kb < peaks.rss_kb  # its code pages are in RSS, not private


def test_a_child_of_this_interpreter_is_not_counted() -> None:
    """A child that is this interpreter (as a vfork'd child is until its exec) is left out:
    were it counted, 200 MB it holds would show as the measured program's memory."""
    big = (
        "import time; b = bytearray(200 * 1024 * 1024); b[::4096] = b'x' * len(b[::4096]); "
        "time.sleep(0.5)"
    )
    with ChildPeaks() as peaks:
        subprocess.run([sys.executable, "-c", big], check=True)
        subprocess.run(_DECODE, check=True)
    assert 0 < peaks.private_kb < 100 * 1024
