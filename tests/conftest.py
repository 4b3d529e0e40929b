from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.http_server import LoopbackServer
from tests.support.kinds import give_kinds

TESTS = Path(__file__).resolve().parent


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--slow", action="store_true", help="run the long variants too")


@pytest.hookimpl(tryfirst=True)  # before -m picks tests by the marks given here
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Each test gets its kind, ``unit`` or ``e2e`` (tests/support/kinds.py). The long variants
    (``--slow``) and the live tests (``-m network``) are opt-in: left out of the run, not
    skipped, so that a skip always means something is missing. The live tests are left out
    here rather than by a default ``-m``, which any ``-m unit`` would replace."""
    give_kinds(config, items, TESTS)
    _leave_out(config, items, "slow", wanted=config.getoption("--slow"))
    _leave_out(config, items, "network", wanted="network" in (config.option.markexpr or ""))


def _leave_out(config: pytest.Config, items: list[pytest.Item], mark: str, wanted: bool) -> None:
    if wanted:
        return
    left_out = [item for item in items if mark in item.keywords]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if mark not in item.keywords]


CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """On a laptop a test whose server, browser or tool is missing skips with the reason; with
    ``CI=true`` that skip is a failure: CI must run every test (``.ci/run`` installs what the
    suite needs)."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if CI and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true, where every test must run: {reason}"


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as srv:
        yield srv


@pytest.fixture
def shared_reference() -> Path:
    """The recorded real responses in ../shared/reference (skip when absent)."""
    path = Path(__file__).resolve().parents[1].parent / "shared" / "reference"
    if not path.is_dir():
        pytest.skip("../shared/reference is not present")
    return path


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database of this test's own (dropped after); skip/fail if none."""
    from tests.servers import postgres_database

    with postgres_database() as url:
        yield url
