"""The scale-out benchmark runs on tiny inputs against real servers (a Redis of its own,
the PostgreSQL the tests use) and reports sane figures. Not timed: the targets are not
checked here."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

from bench import scale
from tests.servers import require_postgres

pytestmark = pytest.mark.timeout(240)


def _children() -> set[str]:
    pid = os.getpid()
    with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as fh:
        return set(fh.read().split())


@pytest.fixture(autouse=True)
def servers() -> Iterator[None]:
    require_postgres()
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (the scale benchmark starts one of its own)")
    before = _children()
    yield
    assert _children() <= before, "the benchmark left a process running"


def test_quick_run_dispatches_claims_each_job_once_and_files_every_track() -> None:
    result = scale.main(["--quick"])
    dispatch = result["dispatch"]
    assert dispatch["jobs"] == 20 and 0 < dispatch["p50_ms"] <= dispatch["p95_ms"] < 10_000
    for name in ("claims_postgresql", "claims_sqlite"):
        claims = result[name]
        assert claims["claimed"] == claims["jobs"] == 500, claims
        assert claims["claimed_twice"] == 0 and claims["claims_per_s"] > 0
        assert sum(claims["per_claimer"]) == 500 and len(claims["per_claimer"]) == 8
    throughput = result["throughput"]
    assert throughput["tracks"] == 4 and throughput["rounds"] == 1
    assert throughput["local_s"] > 0 and throughput["celery_s"] > 0
    # The seconds are rounded to 0.01 s, the ratio (of the unrounded ones) to 0.001: on
    # sub-second runs the rounding alone moves the ratio of the printed seconds by > 1 %.
    local, celery = throughput["local_s"], throughput["celery_s"]
    ratio = local / celery
    slack = ratio * (0.005 / local + 0.005 / celery) + 0.0005
    assert throughput["celery_vs_local"] == pytest.approx(ratio, abs=slack)
