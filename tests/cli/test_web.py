"""``spotsyncd web`` opens the browser without the login code on any command line."""

from __future__ import annotations

import stat
import webbrowser
from pathlib import Path

import pytest
import yaml

from spotsyncd.cli.main import main


def test_the_login_link_goes_to_the_browser_through_a_private_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({
        "library_dir": str(tmp_path / "library"), "inbox_dir": str(tmp_path / "inbox"),
        "state_dir": str(tmp_path / "state"),
    }))  # fmt: skip
    monkeypatch.setenv("SPOTSYNCD_CONFIG", str(config))
    opened: list[str] = []
    monkeypatch.setattr(webbrowser, "open", lambda url, *a, **k: opened.append(url) or True)
    assert main(["web"]) == 0
    link = capsys.readouterr().out.strip()
    code = link.split("code=", 1)[1]
    (target,) = opened
    assert target.startswith("file://") and code not in target  # what a process list would show
    page = Path(target.removeprefix("file://"))
    assert stat.S_IMODE(page.stat().st_mode) == 0o600
    assert code in page.read_text(encoding="utf-8")
