"""Configuration: defaults, the YAML file, ``.env`` and environment overrides, validation.

Loading never does I/O beyond reading the config and ``.env`` files; ``prepare_dirs`` creates and
checks the directories when a command needs them. Errors name the key, the file and the line.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from spotsyncd.core import config_values as v
from spotsyncd.core.config_media import MediaServerConfig, debounce_value, parse_media_server
from spotsyncd.core.config_values import parse_duration
from spotsyncd.core.errors import ConfigError
from spotsyncd.core.retries import DEFAULT_SLOW_RETRIES

__all__ = ["Config", "load_config", "parse_duration", "prepare_dirs"]

APP = "spotsyncd"
AUDIO_FORMATS = ("mp3", "m4a", "opus", "flac", "original")
NORMALIZE = ("loudness", "peak", "off")
LOG_LEVELS = ("debug", "info", "warning", "error")
ON_REMOVED = ("keep", "delete")
DEFAULT_TEMPLATE = "{artist}/{album}/{track_number:02d} - {title}.{ext}"
SECRET_KEYS = frozenset(
    {"spotify.client_secret", "ledger.url", "queue.broker_url", "notify.urls", "youtube.api_key"}
)
QUEUE_BACKENDS = ("local", "celery")


@dataclass(frozen=True)
class AudioConfig:
    format: str = "mp3"
    bitrate: str = "192k"
    normalize: str = "loudness"
    target_lufs: float = -14.0
    true_peak_db: float = -1.0
    trim_silence: bool = True
    silence_threshold_db: float = -50.0
    id3_version: int = 4
    workers: int = 0  # files processed at once; 0: one per core


@dataclass(frozen=True)
class DownloadConfig:
    workers: int = 2
    max_retries: int = 3
    backoff_seconds: float = 1.0
    timeout_seconds: float = 60.0
    slow_retries: tuple[float, ...] = DEFAULT_SLOW_RETRIES  # after the fast ones: waiting
    cookies_file: Path | None = None
    ffmpeg: Path | None = None  # a system ffmpeg to prefer over the bundled one


@dataclass(frozen=True)
class LibraryConfig:
    path_template: str = DEFAULT_TEMPLATE


@dataclass(frozen=True)
class SpotifyConfig:
    client_id: str | None = None
    client_secret: str | None = None
    api_url: str = "https://api.spotify.com/v1/"
    token_url: str = "https://accounts.spotify.com/api/token"
    auth_url: str = "https://accounts.spotify.com/authorize"
    embed_url: str = "https://open.spotify.com/embed/"
    redirect_port: int = 8765
    market: str | None = None


@dataclass(frozen=True)
class MatchingConfig:
    threshold: float = 0.70
    youtube_fallback: bool = True


ARTIST_GROUPS = ("album", "single", "compilation", "appears_on")


@dataclass(frozen=True)
class ArtistConfig:
    include: tuple[str, ...] = ("album", "single")  # which of an artist's releases to fetch


@dataclass(frozen=True)
class WebConfig:
    """The HTTP API and dashboard inside the daemon (see spotsyncd/api/)."""

    enabled: bool = True
    listen: str = "127.0.0.1:8642"  # HOST:PORT; port 0 picks a free one
    allow_remote: bool = False  # binding a non-loopback address needs this
    allowed_hosts: tuple[str, ...] = ()  # extra Host header values (reverse proxy, LAN name)

    @property
    def host(self) -> str:
        return v.split_listen(self.listen)[0]

    @property
    def port(self) -> int:
        return v.split_listen(self.listen)[1]


@dataclass(frozen=True)
class LyricsConfig:
    enabled: bool = True
    api_url: str = "https://lrclib.net/api/"
    lrc_files: bool = False


@dataclass(frozen=True)
class LedgerConfig:
    url: str | None = None  # None: the SQLite file <state_dir>/ledger.sqlite3


@dataclass(frozen=True)
class QueueConfig:
    backend: str = "local"  # local: worker threads in the daemon; celery: `spotsyncd worker`s
    broker_url: str = "redis://127.0.0.1:6379/0"
    job_time_limit_s: int = 3600  # the longest a job may run on a Celery worker
    worker_timeout_s: int = 60  # a worker silent this long is gone; its job goes to another


@dataclass(frozen=True)
class NetworkConfig:
    check_urls: tuple[str, ...] = ()  # empty: the hosts this config needs (see check_urls_for)
    probe_every: float = 60.0  # offline: first probe after this, then backing off


NOTIFY_EVENTS = ("failed", "new_tracks", "login_expired", "offline", "disk_low", "digest")


@dataclass(frozen=True)
class NotifyConfig:
    urls: tuple[str, ...] = ()  # Apprise URLs: secrets (they hold tokens)
    on: tuple[str, ...] = ("failed", "new_tracks", "login_expired", "offline", "disk_low")
    offline_after: float = 3600.0
    disk_free_below: int = 1_000_000_000
    digest_at: str = "09:00"
    batch_seconds: float = 60.0


@dataclass(frozen=True)
class YoutubeConfig:
    """The YouTube Data API v3, used for searches only when a key is set."""

    api_key: str | None = None
    api_url: str = "https://www.googleapis.com/youtube/v3"
    daily_quota: int = 10_000


@dataclass(frozen=True)
class FollowConfig:
    url: str
    every_s: int = 6 * 3600
    name: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Config:
    library_dir: Path
    inbox_dir: Path
    state_dir: Path
    log_file: Path | None
    log_level: str = "info"
    poll_every_s: int = 6 * 3600
    audio: AudioConfig = field(default_factory=AudioConfig)
    download: DownloadConfig = field(default_factory=DownloadConfig)
    library: LibraryConfig = field(default_factory=LibraryConfig)
    spotify: SpotifyConfig = field(default_factory=SpotifyConfig)
    matching: MatchingConfig = field(default_factory=MatchingConfig)
    artist: ArtistConfig = field(default_factory=ArtistConfig)
    web: WebConfig = field(default_factory=WebConfig)
    lyrics: LyricsConfig = field(default_factory=LyricsConfig)
    ledger: LedgerConfig = field(default_factory=LedgerConfig)
    queue: QueueConfig = field(default_factory=QueueConfig)
    network: NetworkConfig = field(default_factory=NetworkConfig)
    notify: NotifyConfig = field(default_factory=NotifyConfig)
    youtube: YoutubeConfig = field(default_factory=YoutubeConfig)
    follows: tuple[FollowConfig, ...] = ()
    media_servers: tuple[MediaServerConfig, ...] = ()
    media_servers_debounce_s: float = 60.0
    source: Path | None = None  # the file it was read from, if any

    @property
    def ledger_path(self) -> Path:
        return self.state_dir / "ledger.sqlite3"

    @property
    def ledger_target(self) -> str | Path:
        """Where the ledger lives: the ``ledger.url``, or the SQLite file in the state dir."""
        return self.ledger.url or self.ledger_path

    @property
    def staging_dir(self) -> Path:
        return self.state_dir / "staging"

    @property
    def token_cache(self) -> Path:
        return self.state_dir / "spotify-token.json"

    def redacted(self) -> dict[str, Any]:
        """The effective configuration as plain data, secrets replaced by ``***``."""
        data: dict[str, Any] = _plain(dataclasses.asdict(self))
        if data["spotify"].get("client_secret"):
            data["spotify"]["client_secret"] = "***"
        data["media_servers"] = [server.redacted() for server in self.media_servers]
        if data["ledger"].get("url"):
            data["ledger"]["url"] = v.redact_password(data["ledger"]["url"])
        data["queue"]["broker_url"] = v.redact_password(data["queue"]["broker_url"])
        data["notify"]["urls"] = [v.redact_url(url) for url in self.notify.urls]
        if data["youtube"].get("api_key"):
            data["youtube"]["api_key"] = "***"
        return data

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every configured secret, for the log redactor."""
        found = [self.spotify.client_secret, self.spotify.client_id, self.youtube.api_key]
        found += [s for server in self.media_servers for s in server.secrets]
        found += [v.url_password(self.ledger.url), v.url_password(self.queue.broker_url)]
        found += [part for url in self.notify.urls for part in v.secret_parts(url)]
        return tuple(s for s in found if s)

    def check_urls(self) -> tuple[str, ...]:
        """The hosts to probe for "are we online?" and for ``doctor``: configured, or those
        this config needs (YouTube, YouTube Music, Spotify's API and embed pages)."""
        if self.network.check_urls:
            return self.network.check_urls
        wanted = ("https://www.youtube.com/", "https://music.youtube.com/",
                  self.spotify.api_url, self.spotify.embed_url)  # fmt: skip
        return tuple(dict.fromkeys(wanted))


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


SCHEMA: dict[str, Callable[[Any], Any]] = {
    "library_dir": v.path_value,
    "inbox_dir": v.path_value,
    "state_dir": v.path_value,
    "log_file": v.optional_path,
    "log_level": v.choice(LOG_LEVELS),
    "poll_every": parse_duration,
    "audio.format": v.choice(AUDIO_FORMATS),
    "audio.bitrate": v.bitrate,
    "audio.normalize": v.choice(NORMALIZE),
    "audio.target_lufs": v.float_value(-40, -5),
    "audio.true_peak_db": v.float_value(-9, 0),
    "audio.trim_silence": v.bool_value,
    "audio.silence_threshold_db": v.float_value(-90, -10),
    "audio.id3_version": v.id3_version,
    "audio.workers": v.int_value(0, 64),
    "download.workers": v.int_value(1, 32),
    "download.max_retries": v.int_value(0, 100),
    "download.backoff_seconds": v.float_value(0, 3600),
    "download.timeout_seconds": v.float_value(1, 3600),
    "download.slow_retries": v.duration_list,
    "download.cookies_file": v.optional_path,
    "download.ffmpeg": v.optional_path,
    "library.path_template": v.template,
    "spotify.client_id": v.optional_str,
    "spotify.client_secret": v.optional_str,
    "spotify.api_url": v.str_value,
    "spotify.token_url": v.str_value,
    "spotify.auth_url": v.str_value,
    "spotify.embed_url": v.str_value,
    "spotify.redirect_port": v.int_value(1024, 65535),
    "spotify.market": v.optional_str,
    "matching.threshold": v.float_value(0.0, 1.0),
    "matching.youtube_fallback": v.bool_value,
    "media_servers_debounce": debounce_value,
    "artist.include": v.choice_list(ARTIST_GROUPS),
    "web.enabled": v.bool_value,
    "web.listen": v.listen_address,
    "web.allow_remote": v.bool_value,
    "web.allowed_hosts": v.host_list,
    "lyrics.enabled": v.bool_value,
    "lyrics.api_url": v.http_url,
    "lyrics.lrc_files": v.bool_value,
    "ledger.url": v.database_url,
    "queue.backend": v.choice(QUEUE_BACKENDS),
    "queue.broker_url": v.broker_url,
    "queue.job_time_limit": v.duration_between(60, 7 * 86400),
    "queue.worker_timeout": v.duration_between(3, 3600),
    "network.check_urls": v.url_list,
    "network.probe_every": v.short_duration,
    "notify.urls": v.apprise_urls,
    "notify.on": v.choice_list(NOTIFY_EVENTS),
    "notify.offline_after": v.short_duration,
    "notify.disk_free_below": v.byte_size,
    "notify.digest_at": v.clock_time,
    "notify.batch_seconds": v.short_duration,
    "youtube.api_key": v.optional_str,
    "youtube.api_url": v.str_value,
    "youtube.daily_quota": v.int_value(1, 1_000_000_000),
}
SECTIONS = (
    "audio",
    "download",
    "library",
    "spotify",
    "matching",
    "artist",
    "web",
    "ledger",
    "queue",
    "lyrics",
    "network",
    "notify",
    "youtube",
)
FOLLOW_KEYS = ("url", "every", "name", "options")
FOLLOW_OPTIONS = {
    "format": v.choice(AUDIO_FORMATS),
    "bitrate": v.bitrate,
    "subdir": v.str_value,
    "on_removed": v.choice(ON_REMOVED),
    "path_template": v.template,
}
CLASSIC_ENV = {
    "SPOTIFY_CLIENT_ID": "spotify.client_id",
    "SPOTIFY_CLIENT_SECRET": "spotify.client_secret",
    "OUTPUT_DIR": "library_dir",
    "DOWNLOAD_QUALITY": "audio.bitrate",
    "MAX_RETRIES": "download.max_retries",
    "YOUTUBE_API_KEY": "youtube.api_key",
}


def default_config_path(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if env.get("SPOTSYNCD_CONFIG"):
        return Path(env["SPOTSYNCD_CONFIG"]).expanduser()
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP)) / "config.yaml"


def _default_dirs() -> dict[str, Path]:
    from platformdirs import user_data_dir, user_music_dir

    library = Path(user_music_dir()) / APP
    return {"library_dir": library, "state_dir": Path(user_data_dir(APP))}


# ---------------------------------------------------------------- loading


@dataclass
class _Raw:
    """Flat dotted key → (value, line) from the YAML file."""

    values: dict[str, tuple[Any, int | None]] = field(default_factory=dict)
    follows: list[tuple[dict[str, Any], int | None]] = field(default_factory=list)
    media_servers: list[tuple[Any, int | None]] = field(default_factory=list)


def _node_value(node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null":
        return None  # "key:" with nothing after it (serialising it gives an empty document)
    return yaml.safe_load(yaml.serialize(node))


def _read_yaml(path: Path) -> _Raw:
    raw = _Raw()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ConfigError(f"cannot read config file: {exc.strerror}", file=str(path)) from None
    except UnicodeDecodeError:
        raise ConfigError("config file is not UTF-8 text", file=str(path)) from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"bad YAML: {problem}", file=str(path), line=line) from None
    if root is None:
        return raw
    if not isinstance(root, yaml.MappingNode):
        raise ConfigError("the top level must be a mapping of keys", file=str(path), line=1)
    for key_node, value_node in root.value:
        key = str(key_node.value)
        line = key_node.start_mark.line + 1
        if key in SECTIONS:
            if not isinstance(value_node, yaml.MappingNode):
                if value_node.tag.endswith(":null"):
                    continue
                raise ConfigError("must be a mapping", key=key, file=str(path), line=line)
            for sub_key_node, sub_value_node in value_node.value:
                dotted = f"{key}.{sub_key_node.value}"
                raw.values[dotted] = (
                    _node_value(sub_value_node),
                    sub_key_node.start_mark.line + 1,
                )
        elif key == "follows":
            if value_node.tag.endswith(":null"):
                continue
            if not isinstance(value_node, yaml.SequenceNode):
                raise ConfigError("must be a list", key=key, file=str(path), line=line)
            for item in value_node.value:
                item_line = item.start_mark.line + 1
                value = _node_value(item)
                if isinstance(value, str):
                    value = {"url": value}
                if not isinstance(value, dict):
                    raise ConfigError(
                        "each follow must be a URL or a mapping with url, every, name, options",
                        key="follows",
                        file=str(path),
                        line=item_line,
                    )
                raw.follows.append((value, item_line))
        elif key == "media_servers":
            if value_node.tag.endswith(":null"):
                continue
            if not isinstance(value_node, yaml.SequenceNode):
                raise ConfigError("must be a list", key=key, file=str(path), line=line)
            for item in value_node.value:
                raw.media_servers.append((_node_value(item), item.start_mark.line + 1))
        else:
            raw.values[key] = (_node_value(value_node), line)
    return raw


def read_dotenv(path: Path) -> dict[str, str]:
    """A minimal ``.env`` reader: ``KEY=VALUE`` lines, ``#`` comments, optional quotes/export."""
    values: dict[str, str] = {}
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return values
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        key = key.removeprefix("export ").strip()
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[key] = value
    return values


def _env_key(name: str) -> str | None:
    """``SPOTSYNCD_AUDIO_FORMAT`` → ``audio.format``;
    ``SPOTSYNCD_LIBRARY_DIR`` → ``library_dir``."""
    rest = name.removeprefix("SPOTSYNCD_").lower()
    if rest in SCHEMA:
        return rest
    for section in SECTIONS:
        if rest.startswith(section + "_"):
            dotted = f"{section}.{rest[len(section) + 1 :]}"
            if dotted in SCHEMA:
                return dotted
    return None


def load_config(
    path: Path | None = None,
    env: Mapping[str, str] | None = None,
    *,
    require_file: bool = False,
) -> Config:
    """Build the effective config: defaults < file < ``.env`` < environment."""
    env = dict(os.environ if env is None else env)
    explicit = path is not None or bool(env.get("SPOTSYNCD_CONFIG"))
    path = path if path is not None else default_config_path(env)
    raw = _Raw()
    source: Path | None = None
    if path.exists() or require_file or explicit:
        if not path.is_file():
            raise ConfigError(
                "config file not found (run 'spotsyncd config show' for defaults)", file=str(path)
            )
        raw = _read_yaml(path)
        source = path
    file_name = str(path) if source else ""

    values: dict[str, Any] = {}
    for key, (value, line) in raw.values.items():
        if key not in SCHEMA:
            hint = _suggest(key)
            raise ConfigError(f"unknown key{hint}", key=key, file=file_name, line=line)
        values[key] = _parse(key, value, file_name, line)
        if isinstance(values[key], Path) and not values[key].is_absolute() and source:
            # Relative paths in the file mean "beside the file", not the daemon's working
            # directory (which is / under systemd).
            values[key] = source.parent.absolute() / values[key]

    overrides = read_dotenv(path.parent / ".env") if source else {}
    overrides.update(env)
    for name, value in overrides.items():
        target = CLASSIC_ENV.get(name)
        if target is None and name.startswith("SPOTSYNCD_") and name != "SPOTSYNCD_CONFIG":
            target = _env_key(name)
            if target is None:
                raise ConfigError("unknown environment override", key=name)
        if target is not None:
            values[target] = _parse(target, value, f"environment variable {name}", None)

    follows = tuple(_parse_follow(item, line, file_name) for item, line in raw.follows)
    servers = tuple(parse_media_server(i, line, file_name) for i, line in raw.media_servers)
    return replace(_build(values, follows, source), media_servers=servers)


def _suggest(key: str) -> str:
    import difflib

    close = difflib.get_close_matches(key, list(SCHEMA), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _parse(key: str, value: Any, file: str, line: int | None) -> Any:
    try:
        return SCHEMA[key](value)
    except ValueError as exc:
        raise ConfigError(str(exc), key=key, file=file, line=line) from None


def _parse_follow(item: dict[str, Any], line: int | None, file: str) -> FollowConfig:
    for key in item:
        if key not in FOLLOW_KEYS:
            raise ConfigError(
                f"unknown follow key (known: {', '.join(FOLLOW_KEYS)})",
                key=f"follows.{key}",
                file=file,
                line=line,
            )
    url = item.get("url")
    if not isinstance(url, str) or not url.strip():
        raise ConfigError("each follow needs a url", key="follows.url", file=file, line=line)
    try:
        every = parse_duration(item["every"]) if item.get("every") is not None else 6 * 3600
    except ValueError as exc:
        raise ConfigError(str(exc), key="follows.every", file=file, line=line) from None
    options = item.get("options") or {}
    if not isinstance(options, dict):
        raise ConfigError("must be a mapping", key="follows.options", file=file, line=line)
    parsed: dict[str, Any] = {}
    for key, value in options.items():
        if key not in FOLLOW_OPTIONS:
            raise ConfigError(
                f"unknown option (known: {', '.join(FOLLOW_OPTIONS)})",
                key=f"follows.options.{key}",
                file=file,
                line=line,
            )
        try:
            parsed[key] = FOLLOW_OPTIONS[key](value)
        except ValueError as exc:
            raise ConfigError(
                str(exc), key=f"follows.options.{key}", file=file, line=line
            ) from None
    name = item.get("name")
    return FollowConfig(
        url=url.strip(), every_s=every, name=str(name) if name else None, options=parsed
    )


def _build(
    values: dict[str, Any], follows: tuple[FollowConfig, ...], source: Path | None
) -> Config:
    defaults = _default_dirs()
    library_dir = values.get("library_dir", defaults["library_dir"])
    state_dir = values.get("state_dir", defaults["state_dir"])
    sections: dict[str, dict[str, Any]] = {s: {} for s in SECTIONS}
    for key, value in values.items():
        if "." in key:
            section, name = key.split(".", 1)
            sections[section][name] = value
    return Config(
        library_dir=library_dir,
        inbox_dir=values.get("inbox_dir", library_dir / "inbox"),
        state_dir=state_dir,
        log_file=values.get("log_file", state_dir / "logs" / "spotsyncd.log"),
        log_level=values.get("log_level", "info"),
        poll_every_s=values.get("poll_every", 6 * 3600),
        media_servers_debounce_s=values.get("media_servers_debounce", 60.0),
        audio=AudioConfig(**sections["audio"]),
        download=DownloadConfig(**sections["download"]),
        library=LibraryConfig(**sections["library"]),
        spotify=SpotifyConfig(**sections["spotify"]),
        matching=MatchingConfig(**sections["matching"]),
        artist=ArtistConfig(**sections["artist"]),
        web=_web(sections["web"], source),
        lyrics=LyricsConfig(**sections["lyrics"]),
        ledger=LedgerConfig(**sections["ledger"]),
        queue=QueueConfig(**{_QUEUE_FIELDS.get(k, k): v for k, v in sections["queue"].items()}),
        network=NetworkConfig(**sections["network"]),
        notify=NotifyConfig(**sections["notify"]),
        youtube=YoutubeConfig(**sections["youtube"]),
        follows=follows,
        source=source,
    )


def _web(values: dict[str, Any], source: Path | None) -> WebConfig:
    web = WebConfig(**values)
    if not web.allow_remote and not v.is_loopback(web.host):
        raise ConfigError(
            f"{web.host} is not a loopback address: the API can start downloads and write files, "
            "so set web.allow_remote: true to listen there on purpose (or use 127.0.0.1)",
            key="web.listen",
            file=str(source or ""),
        )
    return web


_QUEUE_FIELDS = {"job_time_limit": "job_time_limit_s", "worker_timeout": "worker_timeout_s"}


def prepare_dirs(config: Config) -> None:
    """Create the library, inbox and state dirs; fail with the key name if one is unwritable."""
    checks = [
        ("library_dir", config.library_dir),
        ("inbox_dir", config.inbox_dir),
        ("state_dir", config.state_dir),
    ]
    if config.log_file is not None:
        checks.append(("log_file", config.log_file.parent))
    for key, directory in checks:
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(
                f"cannot create {directory}: {exc.strerror}", key=key, file=str(config.source or "")
            ) from None
        if not os.access(directory, os.W_OK | os.X_OK):
            raise ConfigError(
                f"{directory} is not writable", key=key, file=str(config.source or "")
            )
    for sub in ("processed", "failed"):
        (config.inbox_dir / sub).mkdir(exist_ok=True)
    config.staging_dir.mkdir(exist_ok=True)
