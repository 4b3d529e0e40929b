"""The configuration reference and config.example.yaml are written from the models."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from spotsyncd.core import config_reference as ref
from spotsyncd.core.config import SCHEMA

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("path", [ref.DOCS, ref.EXAMPLE], ids=str)
def test_committed_file_matches_the_models(path: Path) -> None:
    committed = (ROOT / path).read_text(encoding="utf-8")
    assert committed == ref.generated()[path], (
        f"{path} differs from what the config models say: run "
        "python -m spotsyncd.core.config_reference to regenerate it, and commit it"
    )


def test_check_mode_names_the_stale_file_and_the_command(tmp_path: Path) -> None:
    (tmp_path / "docs" / "reference").mkdir(parents=True)
    (tmp_path / ref.DOCS).write_text("# old\n", encoding="utf-8")
    (tmp_path / ref.EXAMPLE).write_text(ref.example_yaml(), encoding="utf-8")
    code = (
        "import sys; from pathlib import Path; from spotsyncd.core import config_reference as r;"
        f"r.ROOT = Path({str(tmp_path)!r}); sys.exit(r.main(['--check']))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 1
    assert "docs/reference/configuration.md is out of date" in result.stderr
    assert "python -m spotsyncd.core.config_reference" in result.stderr
    assert "config.example.yaml" not in result.stderr


def test_reference_has_every_documented_key_and_no_test_endpoint() -> None:
    text = ref.reference_markdown()
    assert text.startswith("# Configuration reference\n")
    for key in SCHEMA.values():
        row = f"| `{key.dotted}` |"
        if key.hidden:
            assert row not in text, f"{key.dotted} is test-only: keep it out of the reference"
        else:
            assert row in text and f"`{key.env}`" in text, key.dotted
    for hidden in ("spotify.token_url", "spotify.auth_url", "spotify.embed_url"):
        assert SCHEMA[hidden].hidden and hidden.split(".")[1] not in ref.example_yaml()
    assert "`SPOTIFY_CLIENT_ID`" in text and "`OUTPUT_DIR`" in text
    for section in ("audio", "download", "queue", "notify", "follows", "media_servers"):
        assert f"## `{section}`" in text
    for kind in ("navidrome", "jellyfin", "plex"):
        assert f"### `type: {kind}`" in text


def test_every_key_has_help_and_durations_have_one_spelling() -> None:
    for key in SCHEMA.values():
        assert key.info.description, f"{key.dotted} has no help"
        name = key.name
        assert not re.search(r"(_s|_seconds)$", name), f"{key.dotted}: durations are 30s, 5m…"
        parse = ref.parse_of(key.info)
        assert parse is not None, key.dotted
        if key.unit == "seconds":
            assert "duration" in parse.shape, f"{key.dotted} is a duration"
