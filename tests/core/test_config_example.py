"""config.example.yaml documents every key and is itself a valid config."""

from __future__ import annotations

import re
from pathlib import Path

from spotsyncd.core.config import SCHEMA, load_config

EXAMPLE = Path(__file__).resolve().parents[2] / "config.example.yaml"


def test_example_is_valid(tmp_path: Path) -> None:
    text = EXAMPLE.read_text(encoding="utf-8").replace("~/", f"{tmp_path}/")
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    config = load_config(path, env={})
    assert config.audio.format == "mp3" and len(config.follows) == 2
    assert [server.type for server in config.media_servers] == ["navidrome", "jellyfin", "plex"]


def test_example_documents_every_key() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    for key in SCHEMA.values():
        match = re.search(rf"^\s*{re.escape(key.name)}:", text, re.M)
        if key.hidden:
            assert not match or key.name in ("api_url",), f"{key.dotted} is test-only"
            continue
        assert match, f"{key.dotted} is not in config.example.yaml"
        before = text[: match.start()].rstrip().splitlines()[-1]
        assert before.strip().startswith("#"), f"{key.dotted} has no comment above it"
