"""The identity benchmark runs (quick mode) and reports every figure."""

from __future__ import annotations

from bench import identity


def test_quick_benchmark_reports_cpu_and_memory_per_format() -> None:
    result = identity.main(["--quick"])
    assert set(result["formats"]) == {"m4a", "opus", "mp3", "flac"}
    for row in result["formats"].values():
        assert row["fingerprint_cpu_s"] > 0 and row["cpu_on_s"] > 0 and row["cpu_off_s"] > 0
        assert row["fingerprint_peak_mb"] > 0 and row["process_peak_mb"] > 0
    assert result["extra_cpu_pct"] == max(r["extra_cpu_pct"] for r in result["formats"].values())
