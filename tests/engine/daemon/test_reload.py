"""SIGHUP's reading of the new config: the directories wait for a restart, the adapters are
rebuilt only when a setting they were built from changed, a broken file is refused whole.
(tests/e2e/test_lifecycle.py sends the signal to a running daemon.)"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from spotsyncd.core.config import Config, load_config
from spotsyncd.core.errors import ConfigError
from spotsyncd.engine.daemon.reload import read_new_config


def _write(path: Path, tmp_path: Path, extra: str = "", library: str = "lib") -> Path:
    path.write_text(
        f"library_dir: {tmp_path}/{library}\nstate_dir: {tmp_path}/state\n{extra}",
        encoding="utf-8",
    )
    return path


def _running(tmp_path: Path) -> tuple[Config, Path]:
    path = _write(tmp_path / "config.yaml", tmp_path)
    return load_config(path, env={}), path


def test_an_audio_change_is_taken_and_keeps_the_adapters(tmp_path: Path) -> None:
    running, path = _running(tmp_path)
    _write(path, tmp_path, "audio: {format: flac}\n")
    change = read_new_config(running, path)
    assert change.config.audio.format == "flac"
    assert change.changed == ("audio",)
    assert not change.rebuild_adapters


def test_a_download_change_rebuilds_the_adapters(tmp_path: Path) -> None:
    running, path = _running(tmp_path)
    _write(path, tmp_path, "download: {timeout_seconds: 5}\n")
    change = read_new_config(running, path)
    assert change.changed == ("download",) and change.rebuild_adapters


def test_new_directories_wait_for_a_restart(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    running, path = _running(tmp_path)
    _write(path, tmp_path, "download: {workers: 5}\n", library="elsewhere")
    with caplog.at_level(logging.WARNING, logger="spotsyncd.engine.daemon"):
        change = read_new_config(running, path)
    assert change.config.library_dir == running.library_dir
    assert change.config.inbox_dir == running.inbox_dir
    assert change.config.download.workers == 5
    assert "library_dir, inbox_dir changed; restart spotsyncd" in caplog.text
    assert "download.workers takes effect at the next restart" in caplog.text


def test_a_broken_config_is_refused(tmp_path: Path) -> None:
    running, path = _running(tmp_path)
    path.write_text("audio:\n  format: wav\n", encoding="utf-8")
    with pytest.raises(ConfigError):
        read_new_config(running, path)
