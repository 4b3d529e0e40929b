"""``python -m bench.verify`` on a tiny library: it builds what it says and measures the CLI."""

from __future__ import annotations

import pytest

from bench import verify

pytestmark = pytest.mark.timeout(180)


def test_verify_bench_reports_memory_and_the_unknown_files() -> None:
    result = verify.main(["--files", "40", "--unknown", "0.25"])
    assert result["tracks"] == 30 and result["unknown"] == 10
    assert result["summary"]["tracks"] == 30 and result["summary"]["files"] == 40
    assert result["kinds"] == {"unknown_file": 10}  # every filed track is healthy
    assert result["exit"] == 0
    assert 10 < result["peak_rss_mb"] < 500 and result["seconds"] > 0
