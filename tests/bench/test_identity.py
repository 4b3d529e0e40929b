"""The identity benchmark runs (quick mode) and reports every figure."""

from __future__ import annotations

from bench import identity


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
