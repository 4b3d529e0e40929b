"""The package layout says what the architecture is, and the contract covers every package."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "spotsyncd"


def _packages() -> list[Path]:
    return sorted(p for p in PACKAGE.iterdir() if (p / "__init__.py").is_file())


def _layers() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contracts = config["tool"]["importlinter"]["contracts"]
    (layers,) = [
        c["layers"]
        for c in contracts
        if c["type"] == "layers" and c.get("containers") == ["spotsyncd"]
    ]
    names: list[str] = []
    for layer in layers:
        names += [part.strip() for part in layer.replace("|", ":").split(":")]
    return names


def test_every_package_says_what_lives_there_and_what_it_may_import() -> None:
    for package in _packages():
        doc = ast.get_docstring(ast.parse((package / "__init__.py").read_text()))
        assert doc, f"{package.name}/__init__.py has no docstring"
        lines = [line for line in doc.splitlines() if line.strip()]
        assert len(lines) >= 2, f"{package.name}: say what lives there, then what it may import"
        assert "import" in lines[-1].lower(), f"{package.name}: the last line names what it imports"


def test_every_package_is_in_the_layers_contract() -> None:
    layers = _layers()
    missing = [p.name for p in _packages() if p.name not in layers]
    assert not missing, f"packages missing from the import-linter layers contract: {missing}"


def test_no_module_is_left_beside_the_packages() -> None:
    allowed = ("__init__.py", "__main__.py")
    loose = sorted(p.name for p in PACKAGE.glob("*.py") if p.name not in allowed)
    assert not loose, f"modules outside a role package: {loose}"


def test_tests_mirror_the_packages() -> None:
    """tests/<package>/test_<module>.py tests spotsyncd/<package>/<module>.py (or the package),
    sub-packages included: tests/engine/jobs/test_worker.py for spotsyncd/engine/jobs/worker.py."""
    for init in sorted(PACKAGE.rglob("__init__.py")):
        package = init.parent
        if package == PACKAGE:
            continue
        folder = ROOT / "tests" / package.relative_to(PACKAGE)
        for test in folder.glob("test_*.py"):
            name = test.stem.removeprefix("test_")
            modules = {p.stem for p in package.glob("*.py")} | {package.name}
            modules |= {p.parent.name for p in package.glob("*/__init__.py")}
            # test_config_example.py: the example file, read by core/config.py
            assert any(name == m or name.startswith(m + "_") for m in modules), (
                f"{test.relative_to(ROOT)} names no module of spotsyncd/{package.name}/"
            )
