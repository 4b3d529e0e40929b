"""``ledger.url``: validated, normalised, redacted wherever it is shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from spotsyncd.core.config import load_config
from spotsyncd.core.errors import ConfigError


def test_default_is_the_sqlite_file_in_the_state_dir(tmp_path: Path) -> None:
    config = load_config(None, env={"SPOTSYNCD_STATE_DIR": str(tmp_path / "s"),
                                    "XDG_CONFIG_HOME": str(tmp_path)})  # fmt: skip
    assert config.ledger.url is None
    assert config.ledger_target == tmp_path / "s" / "ledger.sqlite3"


def test_postgresql_url_from_the_environment_is_normalised_and_redacted(tmp_path: Path) -> None:
    config = load_config(
        None,
        env={"SPOTSYNCD_LEDGER_URL": "postgresql://spot:s3cret@db:5432/spotsyncd",
             "XDG_CONFIG_HOME": str(tmp_path)},
    )  # fmt: skip
    assert config.ledger_target == "postgresql+psycopg://spot:s3cret@db:5432/spotsyncd"
    shown = str(config.redacted())
    assert "s3cret" not in shown and "postgresql+psycopg://spot:***@db:5432/spotsyncd" in shown


@pytest.mark.parametrize(
    "url",
    ["mysql://u:topsecret@h/db", "postgresql+psycopg://u:topsecret@h:5432/", "sqlite:", "redis://"],
)
def test_bad_urls_name_the_key_and_hide_the_password(tmp_path: Path, url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(None, env={"SPOTSYNCD_LEDGER_URL": url, "XDG_CONFIG_HOME": str(tmp_path)})
    assert "'ledger.url'" in str(caught.value) and "topsecret" not in str(caught.value)
