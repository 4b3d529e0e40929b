"""The real app on a real ledger: ``client`` (in-process, with the token) and ``live`` (Uvicorn
on a free loopback port, as the daemon runs it)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from spotsyncd.api.app import create_app
from spotsyncd.api.context import WebContext
from spotsyncd.api.hub import EventHub
from spotsyncd.api.server import WebServer
from spotsyncd.core.config import Config, load_config, prepare_dirs
from spotsyncd.ledger import Ledger
from spotsyncd.system.webauth import TokenStore, load_or_create_token


def make_config(root: Path, **web: object) -> Config:
    data = {
        "library_dir": str(root / "library"),
        "inbox_dir": str(root / "inbox"),
        "state_dir": str(root / "state"),
        "web": {"listen": "127.0.0.1:0", **web},
    }
    root.mkdir(parents=True, exist_ok=True)
    path = root / "config.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    config = load_config(path, env={})
    prepare_dirs(config)
    return config


@dataclass
class Web:
    config: Config
    ledger: Ledger
    client: TestClient
    token: str
    nudges: list[int] = field(default_factory=list)

    @property
    def anonymous(self) -> TestClient:
        return TestClient(self.client.app, base_url=str(self.client.base_url))


@pytest.fixture
def web(tmp_path: Path) -> Iterator[Web]:
    config = make_config(tmp_path)
    ledger = Ledger(config.ledger_path)
    hub = EventHub(ledger)
    hub.start()
    nudges: list[int] = []
    ctx = WebContext(
        config=config,
        ledger=ledger,
        tokens=TokenStore(config.state_dir),
        hub=hub,
        port=8642,
        nudge=lambda: nudges.append(1),
    )
    token = load_or_create_token(config.state_dir)
    client = TestClient(create_app(ctx), base_url="http://127.0.0.1:8642")
    client.headers["Authorization"] = f"Bearer {token}"
    try:
        yield Web(config, ledger, client, token, nudges)
    finally:
        client.close()
        hub.stop()
        ledger.close()


@dataclass
class Live:
    config: Config
    ledger: Ledger
    server: WebServer
    token: str

    @property
    def url(self) -> str:
        assert self.server.state.url
        return self.server.state.url

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    config = make_config(tmp_path)
    ledger = Ledger(config.ledger_path)
    server = WebServer(config, ledger, nudge=lambda: None)
    state = server.start()
    assert state.running, state.error
    server.wait_ready()
    try:
        yield Live(config, ledger, server, load_or_create_token(config.state_dir))
    finally:
        server.stop()
        ledger.close()
