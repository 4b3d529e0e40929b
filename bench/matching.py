"""Measure spotsyncd.matching.score on the labelled cases: ``python -m bench.matching``.

A case is *right* when the expected candidate (or another upload of the same recording listed in
``acceptable``) is chosen, or nothing is chosen when the right recording is absent. A *wrong pick*
is any other chosen candidate: the failure that files a wrong song. A *false rejection* is "no
confident match" while the right recording was there: annoying, but visible and recoverable.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from spotsyncd.matching.score import DEFAULT_THRESHOLD, Candidate, TrackInfo, best_match

DEFAULT_CASES = Path(__file__).resolve().parents[1] / "tests" / "data" / "matching_cases.json"


def load_cases(path: Path = DEFAULT_CASES) -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["cases"]
    return cases


def _track(data: dict[str, Any]) -> TrackInfo:
    return TrackInfo(
        title=data["title"],
        artists=tuple(data["artists"]),
        album=data.get("album"),
        duration_s=data.get("duration_s"),
        isrc=data.get("isrc"),
        explicit=data.get("explicit"),
    )


def _candidate(data: dict[str, Any]) -> Candidate:
    return Candidate(
        video_id=data["video_id"],
        title=data["title"],
        artists=tuple(data.get("artists") or ()),
        channel=data.get("channel"),
        album=data.get("album"),
        duration_s=data.get("duration_s"),
        kind=data.get("kind", "video"),
        explicit=data.get("explicit"),
        views=data.get("views"),
        provider="bench",
    )


def evaluate(
    cases: Sequence[dict[str, Any]], threshold: float = DEFAULT_THRESHOLD
) -> dict[str, Any]:
    """Run best_match over ``cases``; counts, rates and the misses with their scores."""
    right = wrong = rejected = 0
    misses: list[dict[str, Any]] = []
    for case in cases:
        result = best_match(
            _track(case["track"]), [_candidate(c) for c in case["candidates"]], threshold=threshold
        )
        chosen = result.chosen.video_id if result.chosen else None
        expected = case["expected"]
        good = {expected, *case.get("acceptable", ())} if expected else {None}
        if chosen in good:
            right += 1
            continue
        kind = "false rejection" if chosen is None else "wrong pick"
        if chosen is None:
            rejected += 1
        else:
            wrong += 1
        misses.append(
            {
                "id": case["id"],
                "kind": kind,
                "expected": expected,
                "chosen": chosen,
                "ranked": [
                    f"{s.candidate.video_id} {s.score:.3f} ({s.reasons})" for s in result.ranked[:3]
                ],
            }
        )
    total = len(cases)
    return {
        "cases": total,
        "right": right,
        "wrong_picks": wrong,
        "false_rejections": rejected,
        "accuracy": right / total if total else 0.0,
        "wrong_pick_rate": wrong / total if total else 0.0,
        "false_rejection_rate": rejected / total if total else 0.0,
        "misses": misses,
    }


def _print_report(name: str, report: dict[str, Any]) -> None:
    print(
        f"{name}: {report['cases']} cases, right {report['right']} ({report['accuracy']:.1%}), "
        f"wrong picks {report['wrong_picks']} ({report['wrong_pick_rate']:.1%}), "
        f"false rejections {report['false_rejections']} ({report['false_rejection_rate']:.1%})"
    )
    for miss in report["misses"]:
        print(
            f"  MISS {miss['id']}: {miss['kind']}, expected {miss['expected']}, "
            f"chose {miss['chosen']}"
        )
        for line in miss["ranked"]:
            print(f"      {line}")


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m bench.matching", description=__doc__)
    parser.add_argument("--cases", type=Path, default=DEFAULT_CASES, help="labelled cases (JSON)")
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    args = parser.parse_args(argv)
    cases = load_cases(args.cases)
    report = evaluate(cases, args.threshold)
    report["splits"] = {}
    for split in sorted({case.get("split", "tune") for case in cases}):
        part = [case for case in cases if case.get("split", "tune") == split]
        report["splits"][split] = evaluate(part, args.threshold)
        _print_report(split, report["splits"][split])
    _print_report("all", report)
    return report


if __name__ == "__main__":
    main()
