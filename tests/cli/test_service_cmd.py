"""``spotsyncd service`` from the command line (printing only: nothing is installed here)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from spotsyncd.cli.service_cmd import _write_starter_config
from spotsyncd.core.config import load_config


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPOTSYNCD_")}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"),
               XDG_DATA_HOME=str(home / ".local/share"))  # fmt: skip
    return env


@pytest.mark.e2e
def test_print_shows_the_unit_with_this_installation(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "spotsyncd", "service", "install", "--print"],
                            capture_output=True, text=True, env=_env(tmp_path))  # fmt: skip
    assert result.returncode == 0, result.stderr
    if sys.platform == "darwin":
        assert "<key>ProgramArguments</key>" in result.stdout
        return
    assert "Type=notify" in result.stdout and "WatchdogSec=" in result.stdout
    exec_line = next(line for line in result.stdout.splitlines() if line.startswith("ExecStart="))
    assert "spotsyncd" in exec_line and " run --config " in exec_line
    assert str(tmp_path / ".config" / "spotsyncd" / "config.yaml") in exec_line
    assert "ReadWritePaths=" in result.stdout
    assert not (tmp_path / ".config" / "spotsyncd").exists()  # --print writes nothing


def test_starter_config_is_private_and_means_defaults(tmp_path: Path) -> None:
    path = tmp_path / "cfg" / "config.yaml"
    _write_starter_config(path)
    assert (path.stat().st_mode & 0o777) == 0o600
    config = load_config(path, env={"HOME": str(tmp_path)})
    assert config.source == path and config.audio.format == "mp3"
