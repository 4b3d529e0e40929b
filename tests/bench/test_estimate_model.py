"""The loudness-estimate model ranks the shipped sampling plan against the one before it."""

from __future__ import annotations

from bench import estimate_model


def test_the_shipped_plan_misses_far_less_often_than_the_one_before() -> None:
    results = estimate_model.main(["--songs", "200"])

    assert len(results) == len(estimate_model.MODELS)
    for figures in results.values():
        shipped = next(v for k, v in figures.items() if k.startswith("shipped"))
        before = figures["before: ends + 10 x 2 s"]
        assert shipped["redo_pct"] * 3 < before["redo_pct"]
        assert shipped["p95_lu"] < before["p95_lu"]
        assert 0 <= figures["second_pass_pct"] <= 100
