"""The daemon benchmarks run on tiny inputs and report sane figures; ``python -m bench`` runs
them and writes RESULTS.md only when asked. Not timed tests: the targets are not checked here."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

import bench.__main__ as bench_all
from bench import idle, inbox_latency, library, startup, throughput
from bench.common import percentile

pytestmark = pytest.mark.timeout(120)


def _children() -> list[str]:
    pid = os.getpid()
    with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as fh:
        return fh.read().split()


@pytest.fixture(autouse=True)
def no_leftover_processes() -> Iterator[None]:
    before = set(_children())
    yield
    assert set(_children()) <= before, "a benchmark left a process running"


def test_throughput_files_every_track_and_compares_with_bare_encodes() -> None:
    result = throughput.main(["--quick", "--tracks", "2", "--seconds", "3"])
    assert result["tracks"] == 2 and result["workers"] == os.cpu_count()
    assert result["daemon_s"] > 0 and result["bare_parallel_s"] > 0
    assert result["ratio"] == pytest.approx(result["daemon_s"] / result["bare_parallel_s"], rel=0.2)
    assert result["daemon_cpu_s"] > 0 and result["bare_cpu_s"] > 0
    assert result["cpu_ratio"] == pytest.approx(
        result["daemon_cpu_s"] / result["bare_cpu_s"], rel=0.2
    )
    assert {"queue wait", "download", "cpu_wait", "encode", "tag", "file"} <= set(result["steps_s"])
    assert result["load_before"] and result["load_after"]
    daemon = result["rounds"][0]["daemon"]  # the daemon and its ffmpeg runs, while it worked
    assert 30 < daemon["peak_private_mb"] < daemon["peak_rss_mb"]


def test_inbox_latency_samples_both_ways_of_finishing_a_file() -> None:
    result = inbox_latency.main(["--samples", "2"])
    assert result["samples"] == 2
    for name in ("all", "rename", "close"):
        fig = result[name]
        assert 0 < fig["p50_s"] <= fig["p95_s"] <= fig["max_s"] < 10
    # Both figures are rounded for printing: compare to the rounding, not to 1 %.
    assert result["ratio"] == pytest.approx(result["all"]["p95_s"] / 0.5, abs=0.01)


def test_idle_counts_cpu_memory_and_requests() -> None:
    result = idle.main(["--quick", "--follows", "2", "--seconds", "2"])
    assert result["first_round_requests"] == 2  # one request per follow
    assert result["idle_requests"] == 0
    assert result["requests_per_unchanged_poll"] == 1.0
    assert result["downloads_in_unchanged_round"] == 0
    assert result["jobs_after_first_round"]["done"] == 1  # one episode, linked to both follows
    assert 0 <= result["cpu_pct"] < 100 and result["seconds"] >= 2
    assert 10 < result["rss_mb"] <= result["peak_rss_mb"]


def test_startup_times_help_and_ready() -> None:
    result = startup.main(["--runs", "2", "--ready-runs", "1"])
    assert result["python_s"] > 0 and 0 < result["help_s"] <= result["help_max_s"] < 10
    assert 0 < result["ready_first_s"] == result["ready_s"] < 30


def test_percentile_interpolates() -> None:
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0
    assert percentile([0.0, 10.0], 95) == pytest.approx(9.5)
    assert percentile([4.0], 95) == 4.0


def test_aggregate_writes_results_only_when_asked(tmp_path: Path) -> None:
    results = tmp_path / "RESULTS.md"
    argv = ["--quick", "--only", "polling", "--only", "matching", "--results", str(results)]
    report = bench_all.main(argv)
    assert not results.exists() and report["errors"] == {}
    assert {f.bench for f in report["figures"]} == {"polling", "matching"}

    bench_all.main([*argv, "--write-results"])
    bench_all.main([*argv, "--write-results"])  # same command, same machine: replaced
    bench_all.main(["--quick", "--only", "matching", "--results", str(results), "--write-results"])
    text = results.read_text(encoding="utf-8")
    assert text.startswith("# Benchmark results")
    assert text.count("<!-- bench-run:") == 2
    assert text.count("| polling | diff unchanged") == 1
    assert "- machine: `" in text and f"cores: {os.cpu_count()}" in text
    assert "(quick: no verdict)" in text and "**miss**" not in text


def test_a_failing_benchmark_is_reported_and_the_others_still_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    broken = bench_all.Bench("polling", "bench.no_such_module", (), lambda r: [])
    benches = tuple(broken if b.name == "polling" else b for b in bench_all.BENCHES)
    monkeypatch.setattr(bench_all, "BENCHES", benches)
    report = bench_all.main(["--quick", "--only", "polling", "--only", "matching"])
    assert set(report["errors"]) == {"polling"}
    assert {f.bench for f in report["figures"]} == {"matching"}


def test_links_reports_per_link_costs() -> None:
    from bench import links

    result = links.main(["--quick"])
    assert result["links"] == 300
    for kind in links.KINDS:
        assert 0 < result[f"{kind}_us"] < 50_000
    assert 0 < result["first_youtube_link_s"] < 30


@pytest.mark.timeout(360)  # three daemon starts; slow on a loaded 2-core machine
def test_web_measures_latency_fanout_and_idle_cost() -> None:
    from bench import web

    result = web.main(["--quick", "--tracks", "300", "--seconds", "1"])
    assert result["tracks"] == 300 and result["clients"] == 20
    for name in ("tracks", "status"):
        assert 0 < result[f"{name}_p50_ms"] <= result[f"{name}_p99_ms"] < 10_000
    assert 0 < result["status_fresh_p50_ms"] < 10_000
    assert (
        0 < result["fanout_p50_ms"] <= result["fanout_p95_ms"] <= result["fanout_max_ms"] < 10_000
    )
    assert 0 <= result["idle_cpu_pct"] < 100
    assert result["web_on"]["rss_mb"] > 10 and result["web_off"]["rss_mb"] > 10
    assert 0 < result["ready_s"] < 30


def test_library_reads_and_covers_are_timed() -> None:
    result = library.main(["--quick", "--tracks", "300"])
    assert result["albums"] > 120 and result["tracks"] == 300
    assert 0 < result["albums_page_bytes"] < 40_000  # the first page of 120, not every album
    for name in library.ROUTES:
        assert 0 < result[f"{name}_p50_ms"] <= result[f"{name}_p99_ms"]
    assert result["cover_bytes"] < result["cover_source_bytes"]  # a thumbnail, not the picture
    assert result["cover_cached_p50_ms"] > 0


def test_imports_puts_an_export_in_the_ledger_and_measures_memory() -> None:
    from bench import imports

    result = imports.main(["--entries", "300"])
    assert result["entries"] == 300 and result["tracks"] == 300 + 150  # half the lists liked
    for label in ("library", "playlists"):
        assert 0 < result[f"{label}_in_ledger_s"] <= result[f"{label}_report_s"] < 60
    assert result["rss_before_mb"] <= result["peak_rss_mb"]
