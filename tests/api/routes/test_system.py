"""``/health`` (workers, circuits, disk, media servers, notifications, yt-dlp), a test
notification to a loopback receiver, and ``/settings`` with each value's origin, secrets
masked."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from fastapi.testclient import TestClient

from spotsyncd.api.app import create_app
from spotsyncd.api.context import WebContext
from spotsyncd.api.hub import EventHub
from spotsyncd.core.config import load_config, prepare_dirs
from spotsyncd.ledger import Ledger
from spotsyncd.system.webauth import TokenStore, load_or_create_token
from tests.api.conftest import Web
from tests.fakes.http_server import LoopbackServer

API = "/api/v1"


def test_health_reports_each_part(web: Web) -> None:
    web.ledger.register_worker("box:1:abc", role="worker", host="box", pid=1, version="0.1",
                               concurrency=3)  # fmt: skip
    data = web.client.get(f"{API}/health").json()
    assert [w["name"] for w in data["workers"]] == ["box:1:abc"]
    assert data["workers"][0]["seen_at"] > 0
    assert data["queue_backend"] == "local" and data["circuits"] == {}
    assert data["disk"]["free_bytes"] > 0 and data["disk"]["path"] == str(web.config.library_dir)
    assert data["media_servers"] == [] and data["notifications"]["urls"] == []
    assert data["ytdlp"]["detail"].startswith("version ")
    none = web.client.post(f"{API}/notifications/test")
    assert none.status_code == 409 and "notify.urls is empty" in none.json()["error"]["message"]


def _app(root: Path, config_data: dict[str, object], env: dict[str, str]) -> TestClient:
    root.mkdir(parents=True, exist_ok=True)
    path = root / "config.yaml"
    path.write_text(yaml.safe_dump(config_data), encoding="utf-8")
    config = load_config(path, env=env)
    prepare_dirs(config)
    ledger = Ledger(config.ledger_path)
    ctx = WebContext(config=config, ledger=ledger, tokens=TokenStore(config.state_dir),
                     hub=EventHub(ledger), port=8642)  # fmt: skip
    client = TestClient(create_app(ctx), base_url="http://127.0.0.1:8642")
    client.headers["Authorization"] = f"Bearer {load_or_create_token(config.state_dir)}"
    return client


def test_settings_say_where_each_value_comes_from_and_mask_secrets(tmp_path: Path) -> None:
    data = {
        "library_dir": str(tmp_path / "library"),
        "state_dir": str(tmp_path / "state"),
        "spotify": {"client_id": "abc", "client_secret": "s3cr3t-value-123"},
    }
    with _app(tmp_path, data, {"SPOTSYNCD_LOG_LEVEL": "debug"}) as client:
        answer = client.get(f"{API}/settings").json()
    items = {s["key"]: s for s in answer["items"]}
    assert answer["source"] == str(tmp_path / "config.yaml")
    assert items["log_level"] == {"key": "log_level", "value": "debug",
                                  "origin": "environment variable SPOTSYNCD_LOG_LEVEL"}  # fmt: skip
    assert items["library_dir"]["origin"].startswith(f"{tmp_path / 'config.yaml'}, line ")
    assert items["audio.format"]["origin"] == "default"
    assert items["poll_every"]["value"] == 21600
    assert "s3cr3t-value-123" not in json.dumps(answer)
    assert items["spotify.client_secret"]["origin"] != "default"


def test_a_test_notification_reaches_each_url(tmp_path: Path) -> None:
    with LoopbackServer() as receiver:
        receiver.add("/hook", b"ok")
        data = {
            "library_dir": str(tmp_path / "library"),
            "state_dir": str(tmp_path / "state"),
            "notify": {"urls": [f"json://127.0.0.1:{receiver.port}/hook",
                                f"json://127.0.0.1:{receiver.port}/missing"]},
        }  # fmt: skip
        with _app(tmp_path, data, {}) as client:
            answer = client.post(f"{API}/notifications/test").json()
        assert [d["ok"] for d in answer["deliveries"]] == [True, False]
        assert answer["message"] == "1 of 2 failed: check them in notify.urls"
        assert b"test notification" in receiver.bodies["/hook"][0]
