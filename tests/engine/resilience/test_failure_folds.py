"""Many failures of one source with one cause are told as one summary (with yt-dlp's age and
the newest release), until a track of that source is done again; dead links stay one by one."""

from __future__ import annotations

from typing import Any

from spotsyncd.engine.resilience.failure_folds import FailureFolds

AT = 1_796_000_000.0  # some afternoon


def _failed(n: int, source: str = "youtube", error_class: str = "transient") -> dict[str, Any]:
    return {"kind": "failed", "ts": AT + n, "source": source, "error_class": error_class,
            "message": f"track {n}: Unable to extract player response", "key": f"k{n}"}  # fmt: skip


def _folds() -> FailureFolds:
    return FailureFolds(lambda: "yt-dlp 2026.9.22 is 74 days old, 2026.11.30 is available")


def test_three_hundred_failures_are_one_summary() -> None:
    folds = _folds()
    singles, summaries = folds.feed([_failed(n) for n in range(100)])
    assert singles == [] and len(summaries) == 1
    (summary,) = summaries
    assert summary.startswith("YouTube downloads failing since ")
    assert "(transient); yt-dlp 2026.9.22 is 74 days old, 2026.11.30 is available" in summary
    singles, summaries = folds.feed([_failed(n) for n in range(100, 300)])
    assert singles == [] and summaries == []  # told already
    assert folds.folds[("youtube", "transient")].count == 300


def test_a_done_track_ends_the_fold_and_a_new_streak_is_told_again() -> None:
    folds = _folds()
    folds.feed([_failed(n) for n in range(5)])
    folds.feed([{"kind": "done", "ts": AT + 10, "source": "youtube", "message": "done"}])
    assert folds.folds == {}
    singles, summaries = folds.feed([_failed(n) for n in range(20, 25)])
    assert len(summaries) == 1 and singles == []


def test_dead_links_and_a_few_failures_stay_one_by_one() -> None:
    folds = _folds()
    rows = [_failed(n, "generic", "permanent") for n in range(30)] + [_failed(99, "spotify")]
    singles, summaries = folds.feed(rows)
    assert summaries == [] and len(singles) == 31


def test_an_opening_youtube_circuit_is_told_once() -> None:
    folds = _folds()
    opened = {"kind": "circuit_open", "ts": AT, "source": None, "error_class": None,
              "message": "youtube: YouTube asked to confirm this is not a bot"}  # fmt: skip
    _singles, summaries = folds.feed([opened])
    assert len(summaries) == 1 and "(bot check)" in summaries[0]
    _singles, summaries = folds.feed(
        [opened, *[_failed(n, error_class="bot_check") for n in range(9)]]
    )
    assert summaries == []
