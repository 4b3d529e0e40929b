"""What the daemon keeps about its user is readable by that user only: the state dir 0700, the
ledger and its WAL 0600, the log file and its rotations 0600."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import yaml

from spotsyncd.core.config import load_config, prepare_dirs
from spotsyncd.core.models import LinkKind
from spotsyncd.ledger import Ledger
from spotsyncd.system.logview import file_log_handler


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_state_dir_ledger_and_logs_are_private(tmp_path: Path) -> None:
    (tmp_path / "state").mkdir(mode=0o755)
    config_file = tmp_path / "config.yaml"
    config_file.write_text(yaml.safe_dump({
        "library_dir": str(tmp_path / "library"), "inbox_dir": str(tmp_path / "inbox"),
        "state_dir": str(tmp_path / "state"), "log_file": str(tmp_path / "logs" / "d.log"),
    }))  # fmt: skip
    config = load_config(config_file, env={})
    prepare_dirs(config)
    assert _mode(config.state_dir) == 0o700
    ledger = Ledger(config.ledger_path)
    try:
        ledger.tracks(kind=LinkKind.TRACK)
        files = [config.state_dir / f"ledger.sqlite3{end}" for end in ("", "-wal", "-shm")]
        for path in files:
            assert _mode(path) == 0o600, path
    finally:
        ledger.close()
    assert config.log_file is not None
    handler = file_log_handler(config.log_file, "info")
    handler.maxBytes = 200  # type: ignore[attr-defined]
    logger = logging.getLogger("tests.private")
    logger.addHandler(handler)
    try:
        for n in range(20):
            logger.warning("line %d %s", n, "x" * 40)
    finally:
        logger.removeHandler(handler)
        handler.close()
    logs = sorted(config.log_file.parent.glob("d.log*"))
    assert len(logs) > 1  # rotated
    assert all(_mode(p) == 0o600 for p in logs), [(p.name, oct(_mode(p))) for p in logs]
