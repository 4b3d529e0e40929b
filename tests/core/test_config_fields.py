"""Keys declared once on the models: old names, environment names, secrets masked everywhere."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from spotsyncd.core.config import SCHEMA, AudioConfig, NotifyConfig, _env_key, load_config
from spotsyncd.core.errors import ConfigError


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_durations_have_one_spelling_and_old_names_still_work(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    new = write(tmp_path / "new.yaml", "download: {backoff: 0.2, timeout: 2m}\n"
                "notify: {batch_window: 10s}\n")  # fmt: skip
    old = write(tmp_path / "old.yaml", "download: {backoff_seconds: 0.2, timeout_seconds: 120}\n"
                "notify: {batch_seconds: 10s}\n")  # fmt: skip
    with caplog.at_level(logging.DEBUG):
        fresh = load_config(new, env={})
        aged = load_config(old, env={"SPOTSYNCD_NOTIFY_BATCH_SECONDS": "10"})
    assert not caplog.records  # loading has no side effects: the daemon logs the note once
    for config in (fresh, aged):
        assert config.download.backoff_seconds == 0.2 and config.download.timeout_seconds == 120
        assert config.notify.batch_seconds == 10
    same = {"source": new, "renamed": (), "origins": fresh.origins}  # (where each was set)
    assert fresh == aged.model_copy(update=same)
    assert fresh.renamed == () and fresh.renamed_warning() == ""
    line = aged.renamed_warning()
    assert line.startswith(f"{old}: old key names") and "\n" not in line
    assert "download.timeout_seconds → download.timeout" in line
    assert "SPOTSYNCD_NOTIFY_BATCH_SECONDS → SPOTSYNCD_NOTIFY_BATCH_WINDOW" in line
    assert "renamed" not in aged.redacted()  # config show prints keys, not this note


def test_config_check_says_it_once(tmp_path: Path) -> None:
    path = write(tmp_path / "c.yaml", f"library_dir: {tmp_path}/l\nstate_dir: {tmp_path}/s\n"
                 "download:\n  timeout_seconds: 5\n")  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPOTSYNCD_")}
    result = subprocess.run(
        [sys.executable, "-m", "spotsyncd", "--config", str(path), "config", "check"],
        capture_output=True, text=True, env={**env, "HOME": str(tmp_path)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("old key names") == 1 and "download.timeout" in result.stderr


def test_old_and_new_name_together_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path / "c.yaml", "download:\n  timeout: 5\n  timeout_seconds: 6\n")
    with pytest.raises(ConfigError, match=r"c.yaml:3: 'download.timeout_seconds': set twice"):
        load_config(path, env={})


def test_environment_names_old_and_new(tmp_path: Path) -> None:
    env = {"SPOTSYNCD_DOWNLOAD_TIMEOUT_SECONDS": "7", "SPOTSYNCD_NOTIFY_BATCH_WINDOW": "2m",
           "SPOTSYNCD_QUEUE_JOB_TIME_LIMIT": "2h", "SPOTSYNCD_MEDIA_SERVERS_DEBOUNCE": "5s",
           "XDG_CONFIG_HOME": str(tmp_path)}  # fmt: skip
    config = load_config(None, env=env)
    assert config.download.timeout_seconds == 7 and config.notify.batch_seconds == 120
    assert config.queue.job_time_limit_s == 7200 and config.media_servers_debounce_s == 5
    assert _env_key("SPOTSYNCD_DOWNLOAD_TIMEOUT") == "download.timeout"
    assert _env_key("SPOTSYNCD_DOWNLOAD_TIMEOUT_SECONDS") == "download.timeout"
    assert _env_key("SPOTIFY_CLIENT_SECRET") == "spotify.client_secret"
    assert _env_key("SPOTSYNCD_POLL_EVERY_S") is None  # attribute names are not key names
    with pytest.raises(ConfigError, match="environment variable SPOTSYNCD_DOWNLOAD_TIMEOUT"):
        load_config(None, env={**env, "SPOTSYNCD_DOWNLOAD_TIMEOUT": "forever"})


def test_every_key_has_an_environment_variable(tmp_path: Path) -> None:
    for key in SCHEMA.values():
        assert _env_key(key.env) == key.dotted


def test_environment_beats_the_file_but_a_bad_file_value_is_still_named(tmp_path: Path) -> None:
    path = write(tmp_path / "c.yaml", "audio:\n  format: flac\n")
    assert load_config(path, env={"SPOTSYNCD_AUDIO_FORMAT": "opus"}).audio.format == "opus"
    bad = write(tmp_path / "bad.yaml", "log_level: info\naudio:\n  format: wma\n")
    with pytest.raises(ConfigError, match=r"bad.yaml:3: 'audio.format'"):
        load_config(bad, env={"SPOTSYNCD_AUDIO_FORMAT": "opus"})


def test_code_builds_sections_with_typed_values_people_get_parsers() -> None:
    """Parsers (ranges, spellings) check what people write; code gives typed values."""
    assert AudioConfig(format="wma").format == "wma"  # the media layer refuses it itself
    assert NotifyConfig(batch_seconds=0.2).batch_seconds == 0.2
    with pytest.raises(ValueError, match="target_lufs"):
        AudioConfig(target_lufs="loud")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Extra inputs"):
        AudioConfig(formt="mp3")  # type: ignore[call-arg]


SECRETS = {
    "spotify-secret-1": "spotify:\n  client_id: my-client-id\n  client_secret: spotify-secret-1\n",
    "yt-key-123456": "youtube:\n  api_key: yt-key-123456\n",
    "pg-pass-9876": "ledger:\n  url: postgresql://spot:pg-pass-9876@db:5432/spotsyncd\n",
    "redis-pass-42": "queue:\n  broker_url: redis://:redis-pass-42@127.0.0.1:6379/0\n",
    "ntfyTopicSecret": "notify:\n  urls: ['ntfy://ntfyTopicSecret']\n",
    "jf-api-key-7": "media_servers:\n  - {type: jellyfin, url: http://j, api_key: jf-api-key-7}\n",
}


def test_every_secret_is_masked_wherever_the_config_is_shown(tmp_path: Path) -> None:
    path = write(tmp_path / "c.yaml", "".join(SECRETS.values()))
    config = load_config(path, env={})
    shown = [str(config.redacted()), repr(config), str(config)]
    shown += [repr(config.media_servers[0]), str(config.spotify), repr(config.notify)]
    for secret in SECRETS:
        assert secret in config.secrets, secret
        for text in shown:
            assert secret not in text, f"{secret} shows in {text[:60]}…"
    redacted = config.redacted()
    assert redacted["ledger"]["url"] == "postgresql+psycopg://spot:***@db:5432/spotsyncd"
    assert redacted["queue"]["broker_url"] == "redis://:***@127.0.0.1:6379/0"
    assert redacted["notify"]["urls"] == ["ntfy://***"]
    assert redacted["spotify"]["client_id"] == "my-client-id"  # shown, but kept out of logs
    assert "my-client-id" in config.secrets
    assert list(config.secrets) == sorted(config.secrets, key=len, reverse=True)


def test_redacted_keeps_the_shape_config_show_prints(tmp_path: Path) -> None:
    data = load_config(None, env={"XDG_CONFIG_HOME": str(tmp_path)}).redacted()
    assert list(data)[:6] == ["library_dir", "inbox_dir", "state_dir", "log_file", "log_level",
                              "poll_every_s"]  # fmt: skip
    assert data["download"]["timeout_seconds"] == 60.0 and data["queue"]["job_time_limit_s"] == 3600
    assert data["spotify"]["client_secret"] is None and data["media_servers"] == []
    assert data["source"] is None and isinstance(data["library_dir"], str)
