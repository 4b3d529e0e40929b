"""Every collected test is exactly one kind, ``unit`` or ``e2e`` (tests/support/kinds.py), so
that ``pytest -m unit`` and ``pytest -m "not unit"`` together run the whole suite once."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.kinds import FOLDER_KINDS, KINDS, SEEN

TESTS = Path(__file__).resolve().parents[1]


def test_every_collected_test_has_exactly_one_kind(request: pytest.FixtureRequest) -> None:
    seen = request.config.stash[SEEN]
    assert request.node.nodeid in seen  # the session's tests, before -m picked some
    wrong = {nodeid: kinds for nodeid, kinds in seen.items() if len(kinds) != 1}
    assert not wrong, (
        f"{len(wrong)} tests have no kind or both (unit, e2e); give each one: list its folder "
        f"in FOLDER_KINDS (tests/support/kinds.py) or mark it @pytest.mark.e2e: "
        + ", ".join(f"{nodeid} {list(kinds)}" for nodeid, kinds in sorted(wrong.items())[:20])
    )
    assert {kind for kinds in seen.values() for kind in kinds} <= set(KINDS)


def test_every_folder_of_tests_has_a_kind() -> None:
    """Also when only some tests are collected: a new folder must be given a kind on purpose."""
    holders = {p.name for p in TESTS.glob("test_*.py")}
    holders |= {p.parent.relative_to(TESTS).parts[0] for p in TESTS.glob("*/**/test_*.py")}
    missing = sorted(holders - set(FOLDER_KINDS))
    assert not missing, f"tests/{missing}: add to FOLDER_KINDS in tests/support/kinds.py"
    stale = sorted(set(FOLDER_KINDS) - holders)
    assert not stale, f"FOLDER_KINDS names what holds no tests: {stale}"
