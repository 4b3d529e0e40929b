from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from spotsyncd.core.config import load_config, parse_duration, prepare_dirs
from spotsyncd.core.errors import ConfigError


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_file(tmp_path: Path) -> None:
    config = load_config(None, env={"HOME": str(tmp_path)})
    assert config.source is None
    assert config.inbox_dir == config.library_dir / "inbox"
    assert config.library_dir.name == "spotsyncd"
    assert config.audio.format == "mp3" and config.audio.bitrate == "192k"
    assert config.audio.normalize == "loudness" and config.audio.target_lufs == -14
    assert config.download.workers == 2 and config.download.max_retries == 3
    assert config.download.backoff_seconds == 1


def test_file_values_and_sections(tmp_path: Path) -> None:
    path = write(
        tmp_path / "c.yaml",
        f"""
library_dir: {tmp_path}/lib
audio:
  format: opus
  bitrate: v0
  trim_silence: false
download:
  workers: 4
  cookies_file: ~/cookies.txt
follows:
  - https://www.youtube.com/playlist?list=PL123
  - url: https://open.spotify.com/playlist/37i9dQZF1DXcBWIGoYBM5M
    every: 30m
    name: hits
    options: {{format: flac, subdir: Hits}}
""",
    )
    config = load_config(path, env={})
    assert config.library_dir == tmp_path / "lib"
    assert config.inbox_dir == tmp_path / "lib" / "inbox"
    assert config.audio.format == "opus" and config.audio.bitrate == "v0"
    assert config.audio.trim_silence is False
    assert config.download.workers == 4
    assert config.download.cookies_file == Path("~/cookies.txt").expanduser()
    assert len(config.follows) == 2
    assert config.follows[1].every_s == 1800 and config.follows[1].options["format"] == "flac"


def test_a_podcast_follow_s_options(tmp_path: Path) -> None:
    path = write(
        tmp_path / "c.yaml",
        """
follows:
  - url: https://feeds.example.org/show.xml
    options:
      keep_last: 5
      since: 2025-01-31
      audio: {normalize: "off", format: original}
  - url: https://feeds.example.org/all.xml
    options: {since: all, normalize: peak}
""",
    )
    config = load_config(path, env={})
    assert config.library.podcast_template == "Podcasts/{show}/{date} - {title}.{ext}"
    assert dict(config.follows[0].options) == {
        "keep_last": 5, "since": "2025-01-31", "normalize": "off", "format": "original"
    }  # fmt: skip
    assert dict(config.follows[1].options) == {"since": "all", "normalize": "peak"}


@pytest.mark.parametrize(
    ("text", "key", "line"),
    [
        ("audio:\n  formt: mp3\n", "audio.formt", 2),
        ("download:\n  workers: many\n", "download.workers", 2),
        ("log_level: info\naudio:\n  bitrate: 100k\n", "audio.bitrate", 3),
        ("colour: blue\n", "colour", 1),
        ("audio: [1, 2\n", "", None),
        ("follows:\n  - url: https://x.test/feed\n    every: 5s\n", "follows.every", 2),
        ("download:\n  slow_retries: [15m, soon]\n", "download.slow_retries", 2),
        ("download:\n  slow_retries: 0s\n", "download.slow_retries", 2),
        ("notify:\n  urls: [not a url]\n", "notify.urls", 2),
        ("notify:\n  on: [failed, explosions]\n", "notify.on", 2),
        ("notify:\n  disk_free_below: lots\n", "notify.disk_free_below", 2),
        ("notify:\n  digest_at: '25:00'\n", "notify.digest_at", 2),
        ("network:\n  check_urls: [ftp://x]\n", "network.check_urls", 2),
        (
            "follows:\n  - url: https://x.test/f\n    options: {since: soon}\n",
            "follows.options.since",
            2,
        ),
        (
            "follows:\n  - url: https://x.test/f\n    options: {keep_last: 0}\n",
            "follows.options.keep_last",
            2,
        ),
        (
            "follows:\n  - url: https://x.test/f\n    options: {audio: {loud: 1}}\n",
            "follows.options.audio",
            2,
        ),
        ("library:\n  podcast_template: '{show}/{episode}.{ext}'\n", "library.podcast_template", 2),
    ],
)
def test_bad_config_names_key_file_and_line(
    tmp_path: Path, text: str, key: str, line: int | None
) -> None:
    path = write(tmp_path / "bad.yaml", text)
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    message = str(info.value)
    assert str(path) in message
    if key:
        assert f"'{key}'" in message
    if line:
        assert f"{path}:{line}" in message


def test_unknown_key_suggests(tmp_path: Path) -> None:
    path = write(tmp_path / "c.yaml", "libary_dir: /x\n")
    with pytest.raises(ConfigError, match="did you mean 'library_dir'"):
        load_config(path, env={})


def test_environment_and_dotenv_overrides(tmp_path: Path) -> None:
    path = write(tmp_path / "c.yaml", "audio:\n  bitrate: 128k\n")
    write(
        tmp_path / ".env",
        "SPOTIFY_CLIENT_ID=abc123\nexport SPOTIFY_CLIENT_SECRET='s3cr3t!'\nMAX_RETRIES=7\n",
    )
    config = load_config(
        path,
        env={
            "DOWNLOAD_QUALITY": "320",
            "SPOTSYNCD_AUDIO_FORMAT": "flac",
            "OUTPUT_DIR": str(tmp_path / "out"),
            "SPOTSYNCD_DOWNLOAD_WORKERS": "3",
        },
    )
    assert config.audio.bitrate == "320k"
    assert config.audio.format == "flac"
    assert config.library_dir == tmp_path / "out"
    assert config.download.workers == 3 and config.download.max_retries == 7
    assert config.spotify.client_id == "abc123" and config.spotify.client_secret == "s3cr3t!"
    assert "s3cr3t!" not in str(config.redacted())


def test_bad_environment_value_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SPOTSYNCD_DOWNLOAD_WORKERS"):
        load_config(None, env={"HOME": str(tmp_path), "SPOTSYNCD_DOWNLOAD_WORKERS": "0"})
    with pytest.raises(ConfigError, match="SPOTSYNCD_NOPE"):
        load_config(None, env={"HOME": str(tmp_path), "SPOTSYNCD_NOPE": "1"})


def test_unwritable_dir_is_a_config_error(tmp_path: Path) -> None:
    blocker = write(tmp_path / "file", "x")
    path = write(tmp_path / "c.yaml", f"library_dir: {blocker}/lib\nstate_dir: {tmp_path}/s\n")
    config = load_config(path, env={})
    with pytest.raises(ConfigError, match="'library_dir'"):
        prepare_dirs(config)


def test_durations() -> None:
    assert parse_duration("6h") == 21600
    assert parse_duration("1h30m") == 5400
    assert parse_duration(120) == 120
    with pytest.raises(ValueError):
        parse_duration("soon")
    with pytest.raises(ValueError):
        parse_duration("10s")


@pytest.mark.e2e
def test_cli_config_check_exit_codes(tmp_path: Path) -> None:
    good = write(tmp_path / "good.yaml", f"library_dir: {tmp_path}/lib\nstate_dir: {tmp_path}/st\n")
    bad = write(tmp_path / "bad.yaml", "audio:\n  normalize: loudest\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPOTSYNCD_")}
    env["HOME"] = str(tmp_path)
    ok = subprocess.run(
        [sys.executable, "-m", "spotsyncd", "--config", str(good), "config", "check"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert ok.returncode == 0, ok.stderr
    failed = subprocess.run(
        [sys.executable, "-m", "spotsyncd", "config", "check", "--config", str(bad)],
        capture_output=True,
        text=True,
        env=env,
    )
    assert failed.returncode == 2
    assert "Traceback" not in failed.stderr
    assert f"{bad}:2" in failed.stderr and "audio.normalize" in failed.stderr


@pytest.mark.e2e
def test_config_show_hides_secrets(tmp_path: Path) -> None:
    path = write(
        tmp_path / "c.yaml",
        f"state_dir: {tmp_path}/s\nlibrary_dir: {tmp_path}/l\n"
        "spotify:\n  client_id: myid\n  client_secret: topsecret\n",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPOTSYNCD_")}
    result = subprocess.run(
        [sys.executable, "-m", "spotsyncd", "--config", str(path), "config", "show"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert "topsecret" not in result.stdout and "***" in result.stdout


def test_id3_version_and_bitrate_spellings(tmp_path: Path) -> None:
    path = write(tmp_path / "c.yaml", "audio:\n  id3_version: 3\n  bitrate: best\n")
    config = load_config(path, env={})
    assert config.audio.id3_version == 3 and config.audio.bitrate == "320k"
    bad = write(tmp_path / "bad.yaml", "audio:\n  id3_version: 2\n")
    with pytest.raises(ConfigError, match="audio.id3_version"):
        load_config(bad, env={})


def test_relative_paths_are_relative_to_the_config_file(tmp_path: Path) -> None:
    folder = tmp_path / "etc"
    folder.mkdir()
    path = write(folder / "c.yaml", "library_dir: music\ndownload:\n  cookies_file: c.txt\n")
    config = load_config(path, env={})
    assert config.library_dir == folder / "music"
    assert config.inbox_dir == folder / "music" / "inbox"
    assert config.download.cookies_file == folder / "c.txt"


def test_lyrics_keys(tmp_path: Path) -> None:
    config = load_config(None, env={"HOME": str(tmp_path)})
    assert config.lyrics.enabled and not config.lyrics.lrc_files
    assert config.lyrics.api_url == "https://lrclib.net/api/"
    path = write(tmp_path / "c.yaml", "lyrics:\n  enabled: false\n  lrc_files: yes\n")
    config = load_config(path, env={"SPOTSYNCD_LYRICS_API_URL": "http://127.0.0.1:9/api/"})
    assert not config.lyrics.enabled and config.lyrics.lrc_files
    assert config.lyrics.api_url == "http://127.0.0.1:9/api/"
    bad = write(tmp_path / "bad.yaml", "lyrics:\n  api_url: file:///etc/\n")
    with pytest.raises(ConfigError, match=r"lyrics.api_url.*http\(s\) URL"):
        load_config(bad, env={})


def test_reliability_and_notify_settings(tmp_path: Path) -> None:
    path = write(
        tmp_path / "c.yaml",
        "download:\n  slow_retries: [5s, 1m, 2h, 1d]\n"
        "network: {check_urls: ['http://127.0.0.1:9/'], probe_every: 2s}\n"
        "notify:\n  urls: ['ntfy://secretTopic123']\n  on: [failed, digest]\n"
        "  offline_after: 30s\n  disk_free_below: 500MB\n  digest_at: '7:30'\n",
    )
    config = load_config(path, env={})
    assert config.download.slow_retries == (5.0, 60.0, 7200.0, 86400.0)
    assert config.network.check_urls == ("http://127.0.0.1:9/",) == config.check_urls()
    assert config.network.probe_every == 2
    notify = config.notify
    assert notify.on == ("failed", "digest") and notify.offline_after == 30
    assert notify.disk_free_below == 500_000_000 and notify.digest_at == "07:30"
    assert config.redacted()["notify"]["urls"] == ["ntfy://***"]
    env = {"SPOTSYNCD_DOWNLOAD_SLOW_RETRIES": "10s, 20s", "SPOTSYNCD_NOTIFY_ON": "offline"}
    overridden = load_config(path, env=env)
    assert overridden.download.slow_retries == (10.0, 20.0)
    assert overridden.notify.on == ("offline",)
    defaults = load_config(None, env={})
    assert defaults.download.slow_retries == (900.0, 3600.0, 21600.0, 86400.0)
    assert "https://www.youtube.com/" in defaults.check_urls()


def test_youtube_api_key_from_the_environment_is_a_secret(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("youtube:\n  api_key:\n  daily_quota: 500\n", encoding="utf-8")
    assert load_config(path, env={}).youtube.api_key is None  # "key:" with nothing is unset
    config = load_config(path, env={"YOUTUBE_API_KEY": "AIzaSyEXAMPLEkey123456"})
    assert config.youtube.api_key == "AIzaSyEXAMPLEkey123456"
    assert config.youtube.daily_quota == 500
    assert config.redacted()["youtube"]["api_key"] == "***"
    with pytest.raises(ConfigError, match="youtube.daily_quota"):
        load_config(path, env={"SPOTSYNCD_YOUTUBE_DAILY_QUOTA": "0"})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", False),
        ("network:\n  allow_private: true\n", True),
        ("network:\n  allow_private: [nas.local, 192.168.1.0/24, 'fd00::/8']\n",
         ("nas.local", "192.168.1.0/24", "fd00::/8")),
    ],
)  # fmt: skip
def test_allow_private_is_off_by_default_or_a_switch_or_a_list(
    tmp_path: Path, text: str, expected: object
) -> None:
    config = load_config(write(tmp_path / "c.yaml", text), env={})
    assert config.network.allow_private == expected


def test_a_bad_allow_private_entry_names_the_file_line_and_entry(tmp_path: Path) -> None:
    path = write(tmp_path / "c.yaml", "network:\n  allow_private: [ok.lan, 'not a host']\n")
    with pytest.raises(ConfigError, match=r"c\.yaml:2.*network\.allow_private.*'not a host'"):
        load_config(path, env={})


def test_player_clients_and_the_pot_provider(tmp_path: Path) -> None:
    defaults = load_config(None, env={}).youtube
    assert defaults.player_clients[0] == ("default",) and defaults.pot_provider_url is None
    path = write(
        tmp_path / "c.yaml",
        "youtube:\n  player_clients: [[tv_simply], 'web_safari, mweb']\n"
        "  pot_provider_url: http://pot-provider:4416/\n",
    )
    config = load_config(path, env={})
    assert config.youtube.player_clients == (("tv_simply",), ("web_safari", "mweb"))
    assert config.youtube.pot_provider_url == "http://pot-provider:4416"
    env = {"SPOTSYNCD_YOUTUBE_PLAYER_CLIENTS": "tv; web_safari,mweb; default"}
    assert load_config(None, env=env).youtube.player_clients == (
        ("tv",), ("web_safari", "mweb"), ("default",)
    )  # fmt: skip
    bad = write(tmp_path / "bad.yaml", 'youtube:\n  player_clients: [[tv], ["web; rm -rf"]]\n')
    with pytest.raises(ConfigError, match=r"bad\.yaml:2.*youtube\.player_clients.*client set 2"):
        load_config(bad, env={})
    with pytest.raises(ConfigError, match="youtube.pot_provider_url"):
        load_config(None, env={"SPOTSYNCD_YOUTUBE_POT_PROVIDER_URL": "127.0.0.1:4416"})
