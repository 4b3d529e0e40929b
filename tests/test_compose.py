"""compose.yaml and the Dockerfile, checked without Docker (images are not built in CI): every
spotsyncd service runs a real command line, every volume and variable is declared and
documented, every spotsyncd variable is a real config key."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from spotsyncd.cli.main import build_parser
from spotsyncd.core.config import _env_key

ROOT = Path(__file__).resolve().parents[1]
CONTAINERS = (ROOT / "docs" / "guides" / "containers.md").read_text(encoding="utf-8")
ENV_EXAMPLE = (ROOT / ".env.example").read_text(encoding="utf-8")


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    return data


def _spotsyncd_services() -> dict[str, dict[str, Any]]:
    services = _compose()["services"]
    return {n: s for n, s in services.items() if str(s.get("image", "")).startswith("spotsyncd")}


def test_each_spotsyncd_service_runs_a_real_command_line() -> None:
    services = _spotsyncd_services()
    assert {"coordinator", "worker"} <= set(services)
    for name, service in services.items():
        command = service["command"]
        try:
            args = build_parser().parse_args(command)
        except SystemExit:
            pytest.fail(f"service {name}: 'spotsyncd {' '.join(command)}' is not a valid command")
        assert args.command in ("run", "worker"), name


def test_volumes_are_declared_and_documented() -> None:
    compose = _compose()
    declared = set(compose["volumes"])
    used: set[str] = set()
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            assert "/" not in source and not source.startswith("."), f"{name}: bind mount {source}"
            used.add(source)
    assert used == declared, f"declared but unused or used but undeclared: {used ^ declared}"
    for volume in declared:
        assert f"`{volume}`" in CONTAINERS, f"volume {volume} is not in docs/guides/containers.md"


def _variables() -> set[str]:
    text = (ROOT / "compose.yaml").read_text(encoding="utf-8")
    names = set(re.findall(r"\$\{([A-Z0-9_]+)", text))
    for service in _compose()["services"].values():
        names |= set(service.get("environment", {}))
    return names


def test_every_variable_is_a_config_key_or_documented() -> None:
    postgres_own = {"POSTGRES_USER", "POSTGRES_DB", "POSTGRES_PASSWORD"}
    for name in _variables():
        if name.startswith("SPOTSYNCD_"):
            assert _env_key(name) is not None, f"{name} is no spotsyncd config key"
        elif name not in postgres_own:
            pytest.fail(f"{name} is neither a spotsyncd config key nor PostgreSQL's own")
        assert f"`{name}`" in CONTAINERS, f"{name} is not in docs/guides/containers.md"
    for line in ENV_EXAMPLE.splitlines():
        if "=" in line and not line.startswith("#"):
            key = line.split("=", 1)[0]
            assert f"`{key}`" in CONTAINERS or key.startswith("SPOTIFY_"), key


def test_the_dockerfile_sets_only_real_config_keys_and_checks_health() -> None:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    for name in re.findall(r"\b(SPOTSYNCD_[A-Z0-9_]+)=", text):
        assert _env_key(name) is not None, name
    assert re.search(r"^USER \d+:\d+$", text, re.M), "the image must not run as root"
    assert "HEALTHCHECK" in text and "/healthz" in text
    assert text.count("\nFROM ") + text.startswith("FROM ") >= 2, "multi-stage build"
    for name in ("redis", "postgres"):
        assert "healthcheck" in _compose()["services"][name], name
