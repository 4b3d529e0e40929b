"""``[project.dependencies]`` says what the code does: every outside module that ``spotsyncd/``
imports is declared, and every declared distribution is imported or has a stated reason.

A module that only arrives through another dependency (``requests`` through spotipy, ``kombu``
through celery) works until that dependency drops it; a declared library nobody imports (pydub)
is weight in every install."""

from __future__ import annotations

import ast
import functools
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "spotsyncd"

# Declared although no module of spotsyncd/ imports them, and why.
NOT_IMPORTED = {
    "deno": "a JavaScript runtime binary for yt-dlp, found in the venv's bin/ (system/tools.py)",
    "psycopg": "the PostgreSQL driver SQLAlchemy loads from a postgresql+psycopg:// URL",
}


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {
        _canonical(re.split(r"[\s\[<>=!~;(]", spec, maxsplit=1)[0])
        for spec in project["dependencies"]
    }


def _imported() -> dict[str, set[str]]:
    """Top-level outside module → the files of spotsyncd/ that import it (every ``import`` and
    ``from … import`` statement, in functions and ``TYPE_CHECKING`` blocks too)."""
    found: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.partition(".")[0]
                if top != "spotsyncd" and top not in sys.stdlib_module_names:
                    found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


@functools.cache
def _providers() -> dict[str, list[str]]:
    """Top-level module → the installed distributions that provide it (one slow scan)."""
    return importlib.metadata.packages_distributions()


def _distributions(module: str) -> set[str]:
    return {_canonical(d) for d in _providers().get(module, [])}


def test_the_scan_sees_the_imports_it_must() -> None:
    imported = _imported()
    assert {"mutagen", "yt_dlp", "sqlalchemy", "requests"} <= set(imported)
    assert not {"os", "json", "spotsyncd", "__future__"} & set(imported)


def test_every_imported_outside_module_is_a_declared_dependency() -> None:
    declared = _declared()
    undeclared = {}
    for module, files in _imported().items():
        distributions = _distributions(module)
        if not distributions & declared:
            shown = ", ".join(sorted(distributions)) or "no installed distribution"
            undeclared[module] = f"from {shown}, imported by {', '.join(sorted(files))}"
    assert not undeclared, f"add these to [project.dependencies] in pyproject.toml: {undeclared}"


def test_every_declared_dependency_is_imported_or_says_why_not() -> None:
    provided = {d for module in _imported() for d in _distributions(module)}
    unused = _declared() - provided - set(NOT_IMPORTED)
    assert not unused, (
        f"declared in pyproject.toml but imported nowhere in spotsyncd/: {sorted(unused)}; "
        "drop them, or say in NOT_IMPORTED why they are needed"
    )
