"""``spotsyncd notify test`` through real Apprise to a loopback webhook, and without URLs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from spotsyncd.cli.main import main
from tests.fakes.http_server import LoopbackServer

TOKEN = "hookTokenXYZ123456"


def _config(tmp_path: Path, urls: list[str]) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(
        f"library_dir: {tmp_path}/lib\nstate_dir: {tmp_path}/state\n"
        f"notify:\n  urls: {json.dumps(urls)}\n  on: [failed, offline]\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.e2e
def test_notify_test_sends_one_message(
    tmp_path: Path, server: LoopbackServer, capsys: pytest.CaptureFixture[str]
) -> None:
    server.add(f"/hook/{TOKEN}", b"ok")
    config = _config(tmp_path, [f"json://127.0.0.1:{server.port}/hook/{TOKEN}"])
    assert main(["notify", "test", "--config", str(config)]) == 0
    out = capsys.readouterr()
    assert "sent a test notification to json://***" in out.out
    assert TOKEN not in out.out + out.err
    [body] = server.bodies[f"/hook/{TOKEN}"]
    message = json.loads(body)
    assert message["title"] == "spotsyncd: test notification"
    assert "You will hear about: failed, offline." in message["message"]
    # config show hides the URL too
    assert main(["config", "show", "--config", str(config)]) == 0
    shown = capsys.readouterr().out
    assert "json://***" in shown and TOKEN not in shown


def test_notify_test_reports_a_failing_url(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with LoopbackServer() as gone:
        url = f"json://127.0.0.1:{gone.port}/hook/{TOKEN}"
    assert main(["notify", "test", "--config", str(_config(tmp_path, [url]))]) == 1
    out = capsys.readouterr().out
    assert "FAILED to notify json://***" in out and TOKEN not in out


def test_notify_test_without_urls_says_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["notify", "test", "--config", str(_config(tmp_path, []))]) == 1
    assert "notify.urls is empty" in capsys.readouterr().err
