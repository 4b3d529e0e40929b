"""The identity benchmark runs (quick mode) and reports every figure."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bench import identity
from bench.processing import make_music
from spotsyncd.system.tools import find_ffmpeg


def test_quick_benchmark_reports_cpu_and_memory_per_format() -> None:
    result = identity.main(["--quick"])
    assert set(result["formats"]) == {"m4a", "opus", "mp3", "flac"}
    for row in result["formats"].values():
        assert row["cpu_on_s"] > 0 and row["cpu_off_s"] > 0 and row["separate_cpu_s"] > 0
        assert row["process_peak_mb"] > 0 and row["process_on_peak_mb"] > 0
        assert row["separate_peak_mb"] > 0 and row["extra_peak_mb"] >= 0
        # The encode that took the fingerprint was found among the step's runs and measured.
        assert 0 < row["printing_encode_private_mb"] < row["printing_encode_peak_mb"]
        # The private peak was sampled while ffmpeg ran: a real figure, below the whole RSS.
        assert 0 < row["private_peak_mb"] < row["process_peak_mb"]
        assert 0 < row["private_on_peak_mb"] < row["process_on_peak_mb"]
    assert result["extra_cpu_pct"] == max(r["extra_cpu_pct"] for r in result["formats"].values())
    assert result["extra_peak_mb"] == max(r["extra_peak_mb"] for r in result["formats"].values())


@pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind is not installed")
def test_instruction_counts_see_the_fingerprint(tmp_path: Path) -> None:
    """callgrind counts every ffmpeg run of the step; the run taking the print counts more."""
    ffmpeg = find_ffmpeg().path
    src = make_music(ffmpeg, tmp_path / "in.mp3", 5.0)
    wrapper = identity.counted(ffmpeg, tmp_path)
    off = identity.instructions(wrapper, src, tmp_path / "off", on=False)
    on = identity.instructions(wrapper, src, tmp_path / "on", on=True)
    assert 100_000_000 < off < on < off * 1.5
