"""The two kinds of test, and how each collected test gets exactly one of them.

``unit``: in-process and quick; ``make test-fast`` runs these (``pytest -m unit``).
``e2e``: everything else: the daemon or the CLI as a process, a browser, Celery workers, a
PostgreSQL database or a server process of its own, the live services, or over about a second.
``pytest -m unit`` and ``pytest -m "not unit"`` together run the whole suite, each test once.

A test's kind comes from, in this order: its own mark (``@pytest.mark.e2e`` on a slow test in a
unit folder, or ``pytestmark`` for a whole module); the live-service mark (``network``) or a
server of its own (PostgreSQL, the web server: both e2e); the folder it is in
(``FOLDER_KINDS``). A test in a folder that is not listed gets no kind, and
``tests/support/test_kinds.py`` fails naming it: add the folder here, on purpose.
"""

from __future__ import annotations

from pathlib import Path

import pytest

UNIT = "unit"
E2E = "e2e"
KINDS = (UNIT, E2E)

# The first part of a test's path under tests/: a folder or a module beside them.
FOLDER_KINDS = {
    "e2e": E2E,  # the daemon as a process (tests/e2e/harness.py)
    "bench": E2E,  # the benchmarks, run on tiny inputs
    "container": E2E,  # the image built and run (compose-like: coordinator, workers, Redis)
    "test_network.py": E2E,  # live Spotify and YouTube (opt-in: -m network)
    "api": UNIT,
    "cli": UNIT,
    "core": UNIT,
    "engine": UNIT,
    "extractors": UNIT,  # pip and the canary as subprocesses: those tests are marked e2e
    "follows": UNIT,
    "identity": UNIT,
    "intake": UNIT,
    "ledger": UNIT,
    "matching": UNIT,
    "media": UNIT,
    "mediaservers": UNIT,
    "security": UNIT,  # attacks on the web app in process (on a real socket: e2e by fixture)
    "sources": UNIT,
    "support": UNIT,
    "system": UNIT,
    "test_compose.py": UNIT,
    "test_dependencies.py": UNIT,
    "test_docs.py": UNIT,
    "test_layout.py": UNIT,
}

# Fixtures that start a real server for the test: a PostgreSQL database of its own (created and
# dropped around it: seconds, not milliseconds), the web server (Uvicorn on a socket, with
# timing checks a loaded machine upsets); and the ledger fixture's PostgreSQL variant.
SERVER_FIXTURES = ("postgres_url", "live")
SERVER_PARAMS = {"ledger": "postgresql"}

# Every collected test's kinds, before any -m deselects some: tests/support/test_kinds.py reads it.
SEEN = pytest.StashKey[dict[str, tuple[str, ...]]]()


def _has_a_server(item: pytest.Item) -> bool:
    if any(name in getattr(item, "fixturenames", ()) for name in SERVER_FIXTURES):
        return True
    callspec = getattr(item, "callspec", None)
    params = callspec.params if callspec is not None else {}
    return any(params.get(name) == value for name, value in SERVER_PARAMS.items())


def kind_by_rule(item: pytest.Item, tests_dir: Path) -> str | None:
    """The kind the rules give a test without a mark of its own (None: its folder is unknown)."""
    if item.get_closest_marker("network") is not None or _has_a_server(item):
        return E2E
    parts = item.path.relative_to(tests_dir).parts
    return FOLDER_KINDS.get(parts[0]) if parts else None


def give_kinds(config: pytest.Config, items: list[pytest.Item], tests_dir: Path) -> None:
    """Mark each test with its kind (unless marked already) and remember what each carries."""
    seen: dict[str, tuple[str, ...]] = {}
    for item in items:
        own = {mark.name for mark in item.iter_markers() if mark.name in KINDS}
        if not own:
            kind = kind_by_rule(item, tests_dir)
            if kind is not None:
                item.add_marker(kind)
        seen[item.nodeid] = tuple(sorted({m.name for m in item.iter_markers() if m.name in KINDS}))
    config.stash[SEEN] = seen
