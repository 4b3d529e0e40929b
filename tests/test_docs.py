"""The docs against the code: the web API page is generated from the app's routes, every API path
and file the README and the docs name exists, and CONTRIBUTING.md's "Layout" lists every package
with imports that the code keeps and the import-linter contracts allow.

``mkdocs build --strict`` (in ``make lint``) checks the site's own links; this file checks what
MkDocs cannot see: the code the pages talk about, and the links of README.md and CONTRIBUTING.md.
"""

from __future__ import annotations

import ast
import os
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.routing import Match

from spotsyncd.api.app import create_app
from spotsyncd.api.context import WebContext
from spotsyncd.api.hub import EventHub
from spotsyncd.api.reference import render
from spotsyncd.ledger import Ledger
from spotsyncd.system.webauth import TokenStore
from tests.api.conftest import make_config

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "spotsyncd"
API_PAGE = ROOT / "docs" / "reference" / "api.md"
README_MAX_LINES = 250


def _pages() -> list[Path]:
    return [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").rglob("*.md"))]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    config = make_config(tmp_path_factory.mktemp("docs"))
    ledger = Ledger(config.ledger_path)
    tokens = TokenStore(config.state_dir)
    ctx = WebContext(config=config, ledger=ledger, tokens=tokens, hub=EventHub(ledger), port=8642)
    try:
        yield create_app(ctx)
    finally:
        ledger.close()


# --- the web API reference -------------------------------------------------------------------


def test_the_api_reference_is_generated_from_the_app(app: FastAPI) -> None:
    page = render(app.openapi())
    if os.environ.get("SPOTSYNCD_UPDATE_DOCS") == "1":
        API_PAGE.write_text(page, encoding="utf-8")
    assert API_PAGE.read_text(encoding="utf-8") == page, (
        "docs/reference/api.md differs from the app's routes: regenerate it with "
        "SPOTSYNCD_UPDATE_DOCS=1 .venv/bin/python -m pytest -q tests/test_docs.py"
    )
    for path, operations in app.openapi()["paths"].items():
        for method in operations:
            assert f"## {method.upper()} {path}\n" in page


def _json(schema: dict[str, object]) -> dict[str, object]:
    return {"application/json": {"schema": schema}}


THING = {"$ref": "#/components/schemas/Thing"}


def test_the_reference_renders_parameters_bodies_responses_and_schemas() -> None:
    document = {
        "info": {"description": "Hello."},
        "paths": {
            "/api/v1/things/{name}": {
                "post": {
                    "summary": "Add Thing",
                    "description": "Adds   a\n thing.",
                    "parameters": [
                        {"name": "name", "in": "path", "required": True,
                         "schema": {"type": "string", "maxLength": 9}},
                        {"name": "n", "in": "query",
                         "schema": {"type": "integer", "minimum": 1, "default": 5}},
                    ],  # fmt: skip
                    "requestBody": {"required": True, "content": _json(THING)},
                    "responses": {
                        "201": {"description": "made",
                                "content": _json({"type": "array", "items": THING})},
                        "401": {"description": "unauthorized",
                                "content": _json({"$ref": "#/components/schemas/ErrorBody"})},
                    },  # fmt: skip
                }
            },
            "/api/v1/open": {"get": {"responses": {"200": {"description": "ok"}}}},
        },
        "components": {"schemas": {"Thing": {
            "properties": {"tag": {"anyOf": [{"type": "string"}, {"type": "null"}],
                                   "description": "a | label"}},
            "required": [], "type": "object"}}},
    }  # fmt: skip
    page = render(document)
    assert "## POST /api/v1/things/{name}\n\n*Add Thing*\n\nAdds a thing.\n" in page
    assert "Needs the token or a session." in page and "No token needed." in page
    assert "| `name` | path | string | yes | at most 9 characters |" in page
    assert "| `n` | query | integer | no | ≥ 1; default `5` |" in page
    assert "**Request body** (required): [Thing](#thing) (`application/json`)" in page
    assert "| `201` | made | list of [Thing](#thing) (`application/json`) |" in page
    assert "| errors | `401` unauthorized | [ErrorBody](#errorbody) |" in page
    assert "### Thing\n" in page and "| `tag` | string or null | no | a \\| label |" in page
    assert page.index("## POST /api/v1/things") < page.index("## GET /api/v1/open")


# --- API paths the docs name -----------------------------------------------------------------

_METHOD = r"(?:(?P<method>GET|POST|PUT|PATCH|DELETE|HEAD)\s+)?"
_PATH = r"(?<![\w/.~:-])(?P<path>/[\w.{}:/-]*[\w}/])"
_MENTION = re.compile(_METHOD + _PATH)


def _mentions() -> Iterator[tuple[str, str | None, str]]:
    """(page, method or None, path) for every absolute path the pages name."""
    for page in _pages():
        text = page.read_text(encoding="utf-8")
        for match in _MENTION.finditer(text):
            yield page.relative_to(ROOT).as_posix(), match["method"], match["path"]


def _served(app: FastAPI, method: str | None, path: str) -> bool:
    """Whether the app routes ``method path`` (any method when None), as Starlette matches it."""
    scope = {
        "type": "http",
        "path": path,
        "method": method or "GET",
        "root_path": "",
        "headers": [],
    }
    matches = {route.matches(scope)[0] for route in app.routes}
    return Match.FULL in matches or (method is None and Match.PARTIAL in matches)


def test_every_api_path_the_docs_name_is_served(app: FastAPI) -> None:
    """A path under /api/v1 must be a route (with that method, when one is named); a bare path
    that is an API route's tail (``/healthz`` for ``/api/v1/healthz``) reads as a root path, so
    it must be served there too."""
    wrong, checked = [], 0
    for page, method, path in _mentions():
        if path.startswith("/api/v1/"):
            checked += 1
            if not _served(app, method, path):
                wrong.append(f"{page}: {method or ''} {path}")
        elif _served(app, None, "/api/v1" + path) and "/api/v1" + path != "/api/v1/":
            checked += 1
            if not _served(app, method, path):
                wrong.append(f"{page}: {method or ''} {path} (served only as /api/v1{path})")
    assert not wrong, "paths the docs name that the app does not serve:\n" + "\n".join(wrong)
    assert checked >= 20  # the guide's table, the performance rows, the reference


def test_healthz_answers_at_the_root_too_without_a_token(app: FastAPI) -> None:
    client = TestClient(app, base_url="http://127.0.0.1:8642")
    root, api = client.get("/healthz"), client.get("/api/v1/healthz")
    assert root.status_code == api.status_code == 200
    assert root.json() == api.json() == {"status": "ok", "ledger": "ok"}
    assert client.get("/metrics").status_code == 404  # only the probe is served at the root


# --- files and links the docs name -----------------------------------------------------------

_FILE = re.compile(r"(?<![\w/.~<-])((?:spotsyncd|tests|bench|systemd|launchd|docs)/[\w./-]*)")


def test_every_file_the_docs_name_exists() -> None:
    missing = []
    for page in _pages():
        text = page.read_text(encoding="utf-8")
        for match in _FILE.finditer(text):
            name = match[1].rstrip(".")
            if text[match.end() : match.end() + 1] in ("<", "{", "*", "…"):
                continue  # a pattern (tests/<package>/…), not a file
            if not (ROOT / name).exists():
                missing.append(f"{page.relative_to(ROOT)}: {name}")
    assert not missing, "files the docs name that do not exist:\n" + "\n".join(missing)


def test_the_links_of_readme_and_contributing_lead_somewhere() -> None:
    """MkDocs checks the site's links; these two files live outside it."""
    for name in ("README.md", "CONTRIBUTING.md"):
        text = (ROOT / name).read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if target.startswith(("http://", "https://", "#")):
                continue
            assert (ROOT / target.split("#")[0]).exists(), f"{name} links to {target}"


def test_the_readme_is_what_a_newcomer_reads_first() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= README_MAX_LINES, "move the details into docs/ (see CONTRIBUTING.md)"
    text = "\n".join(lines)
    for must in ("make run", "make test", "spotsyncd get", "docs/guides/", "docs/reference/"):
        assert must in text


# --- CONTRIBUTING.md's Layout ----------------------------------------------------------------

_LAYOUT_LINE = re.compile(r"^- `spotsyncd/(?P<package>[\w/]+)/` — (?P<text>.*)$", re.M)


def _layout() -> dict[str, set[str]]:
    """package → the packages its line says it may import (``engine/jobs`` form)."""
    text = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    section = text.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]
    layout = {}
    for match in _LAYOUT_LINE.finditer(section):
        assert "May import" in match["text"], f"{match['package']}: say what it may import"
        claims = match["text"].split("May import", 1)[1].split(";", 1)[0]
        layout[match["package"]] = set(re.findall(r"`([\w/]+)/`", claims))
    return layout


def _packages() -> set[str]:
    return {
        init.parent.relative_to(PACKAGE).as_posix()
        for init in PACKAGE.rglob("__init__.py")
        if init.parent != PACKAGE
    }


def _owner(module: str, packages: set[str]) -> str | None:
    """The most specific package a ``spotsyncd.x.y`` module lives in; None for ``spotsyncd``."""
    parts = module.split(".")[1:]
    for depth in range(len(parts), 0, -1):
        if "/".join(parts[:depth]) in packages:
            return "/".join(parts[:depth])
    return None


def _imports(package: str, packages: set[str]) -> set[str]:
    """The packages the modules of ``package`` itself import (lazy imports included)."""
    found = set()
    for module in (PACKAGE / package).glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                if name.startswith("spotsyncd.") and (owner := _owner(name, packages)):
                    found.add(owner)
    return found


def _covers(claim: str, package: str) -> bool:
    return package == claim or package.startswith(claim + "/")


def test_the_layout_lists_every_package_and_only_those() -> None:
    listed, real = set(_layout()), _packages()
    assert not real - listed, f"packages missing from CONTRIBUTING.md's Layout: {real - listed}"
    assert not listed - real, (
        f"CONTRIBUTING.md's Layout lists packages that are gone: {listed - real}"
    )


def test_every_import_is_one_the_layout_names() -> None:
    packages, layout = _packages(), _layout()
    for package in sorted(packages & set(layout)):
        for imported in sorted(_imports(package, packages)):
            if _covers(package, imported):
                continue  # its own modules and sub-packages
            assert any(_covers(claim, imported) for claim in layout[package]), (
                f"spotsyncd/{package}/ imports spotsyncd/{imported}/, which its line in "
                "CONTRIBUTING.md's Layout does not name"
            )


def _contracts() -> list[dict[str, object]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts: list[dict[str, object]] = config["tool"]["importlinter"]["contracts"]
    return contracts


def _layer_allows(layers: list[str], source: str, target: str) -> bool:
    """A layers contract: ``source`` may import ``target`` when it is lower, or beside it in a
    layer whose siblings are not independent (``a : b``; ``a | b`` are independent)."""
    for index, layer in enumerate(layers):
        independent = "|" in layer
        names = [name.strip() for name in re.split(r"[|:]", layer)]
        if source in names:
            if target in names:
                return not independent and source != target
            return any(target in re.split(r"\s*[|:]\s*", lower) for lower in layers[index + 1 :])
    return True  # not in this contract


def _allowed(source: str, target: str) -> bool:
    for contract in _contracts():
        containers = [c.removeprefix("spotsyncd").strip(".").replace(".", "/")
                      for c in contract.get("containers", [])]  # type: ignore[attr-defined]  # fmt: skip
        if contract["type"] == "layers":
            layers = [str(layer) for layer in contract["layers"]]  # type: ignore[attr-defined]
            for container in containers:
                prefix = container + "/" if container else ""
                if not (source.startswith(prefix) and target.startswith(prefix)):
                    continue
                head_s = source.removeprefix(prefix).split("/")[0]
                head_t = target.removeprefix(prefix).split("/")[0]
                if head_s != head_t and not _layer_allows(layers, head_s, head_t):
                    return False
        elif contract["type"] == "independence":
            modules = [m.removeprefix("spotsyncd.").replace(".", "/")
                       for m in contract["modules"]]  # type: ignore[attr-defined]  # fmt: skip
            if any(_covers(a, source) and _covers(b, target) and a != b
                   for a in modules for b in modules):  # fmt: skip
                return False
    return True


def test_the_layout_names_no_import_the_contracts_forbid() -> None:
    for package, claims in _layout().items():
        for claim in claims:
            assert _allowed(package, claim), (
                f"CONTRIBUTING.md's Layout lets spotsyncd/{package}/ import spotsyncd/{claim}/, "
                "which the import-linter contracts in pyproject.toml forbid"
            )


def test_the_contract_check_itself_tells_up_from_down() -> None:
    assert _allowed("cli", "engine") and not _allowed("engine", "cli")
    assert _allowed("follows", "intake") and _allowed("intake", "follows")  # "follows : intake"
    assert not _allowed("media", "matching")  # "sources | matching | media | mediaservers"
    assert _allowed("engine/health", "engine/jobs") and not _allowed("engine/jobs", "engine/health")
    assert not _allowed("sources/spotify", "sources/ytdlp")
