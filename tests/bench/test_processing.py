"""The processing benchmark runs (quick mode) and its memory figures meet the targets."""

from __future__ import annotations

import pytest

from bench import processing


def test_quick_benchmark_reports_every_figure(capsys: pytest.CaptureFixture[str]) -> None:
    figures = processing.main(["--quick"])
    assert set(figures["speed"]) == {"mp3", "m4a", "opus", "flac"}
    for fig in figures["speed"].values():
        assert fig["process_s"] > 0 and fig["bare_s"] > 0
        assert fig["ratio"] == pytest.approx(fig["process_s"] / fig["bare_s"], rel=0.05)
    loaded = figures["loaded"]
    assert loaded["files"] == 4 and loaded["process_cpu_s"] > 0 and loaded["bare_cpu_s"] > 0
    assert loaded["cpu_ratio"] == pytest.approx(
        loaded["process_cpu_s"] / loaded["bare_cpu_s"], rel=0.05
    )
    for name in ("long", "song"):
        rss = figures["rss"][name]
        assert 0 < rss["largest_process_mb"] <= rss["tree_peak_mb"] + 1
        assert rss["tree_peak_mb"] < processing.RSS_TARGET_MB[name]
    assert "ratio" in capsys.readouterr().out
