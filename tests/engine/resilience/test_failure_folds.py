"""Many failures of one source with one cause are told as one summary (with yt-dlp's age and
the newest release), until a track of that source is done again; dead links stay one by one."""

from __future__ import annotations

import time
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
    assert [row["key"] for row in singles] == ["k0", "k1"]  # may be just those two
    assert len(summaries) == 1
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
    assert len(summaries) == 1 and len(singles) == 2
    assert "since " + time.strftime("%H:%M", time.localtime(AT + 20)) in summaries[0]


def test_failures_trickling_in_fold_and_sparse_ones_do_not() -> None:
    folds = _folds()
    told = [folds.feed([_failed(n * 60)]) for n in range(10)]  # one a minute
    assert sum(len(summaries) for _s, summaries in told) == 1
    assert sum(len(singles) for singles, _s in told) == 2
    sparse = _folds()
    rows = [_failed(n * 7200, "soundcloud") for n in range(5)]  # one every two hours
    assert all(sparse.feed([row]) == ([row], []) for row in rows)


def test_waiting_tracks_count_but_are_not_told_alone() -> None:
    folds = _folds()
    waiting = [{**_failed(n), "kind": "waiting"} for n in range(3)]
    singles, summaries = folds.feed(waiting)
    assert singles == [] and len(summaries) == 1


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
