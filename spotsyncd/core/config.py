"""Configuration: defaults, the YAML file, ``.env`` and environment overrides, validation.

Every key is declared once, on its section's model (``config_sections``, ``config_media``, and
the top-level keys on :class:`Config` below). Loading never does I/O beyond reading the config
and ``.env`` files; ``prepare_dirs`` creates and checks the directories when a command needs
them. Errors name the key, the file and the line.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, ValidationError

from spotsyncd.core import config_values as v
from spotsyncd.core.config_fields import (
    OPTIONAL_PATH,
    PATH,
    USER_INPUT,
    Key,
    KeyProblem,
    Parse,
    Section,
    duration,
    format_duration,
    key,
    keys_of,
    one_of,
    parse_of,
    redacted,
    secrets_of,
)
from spotsyncd.core.config_follows import FollowConfig, follow_entry
from spotsyncd.core.config_media import (
    SERVER_TYPES,
    VARIANTS,
    MediaServer,
    debounce_value,
    server_entry,
)
from spotsyncd.core.config_reader import Written, read_dotenv, read_yaml
from spotsyncd.core.config_sections import (
    DEFAULT_TEMPLATE,
    AcoustidConfig,
    ArtistConfig,
    AudioConfig,
    DownloadConfig,
    ExtractorsConfig,
    LedgerConfig,
    LibraryConfig,
    LyricsConfig,
    MatchingConfig,
    MusicBrainzConfig,
    NetworkConfig,
    NotifyConfig,
    QueueConfig,
    SourcesConfig,
    SpotifyConfig,
    WebConfig,
    YoutubeConfig,
)
from spotsyncd.core.config_values import parse_duration
from spotsyncd.core.errors import ConfigError

__all__ = [  # the sections too: code and tests build them
    "DEFAULT_TEMPLATE", "AcoustidConfig", "ArtistConfig", "AudioConfig", "Config",
    "DownloadConfig", "FollowConfig", "LedgerConfig", "LibraryConfig", "LyricsConfig",
    "MatchingConfig", "MusicBrainzConfig", "NetworkConfig", "NotifyConfig", "QueueConfig",
    "SourcesConfig", "SpotifyConfig", "WebConfig", "YoutubeConfig", "default_config_path",
    "load_config", "parse_duration", "prepare_dirs",
]  # fmt: skip

APP = "spotsyncd"
LOG_LEVELS = ("debug", "info", "warning", "error")


def _default_library() -> Path:
    from platformdirs import user_music_dir

    return Path(user_music_dir()) / APP


def _default_state() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP))


def _default_inbox(data: dict[str, Any]) -> Path:
    library = data.get("library_dir")
    return (library if isinstance(library, Path) else _default_library()) / "inbox"


def _default_log(data: dict[str, Any]) -> Path:
    state = data.get("state_dir")
    return (state if isinstance(state, Path) else _default_state()) / "logs" / "spotsyncd.log"


class Config(Section):
    """The effective configuration. The top-level keys come first; each section is a model."""

    library_dir: Annotated[Path, PATH] = key(
        doc="Where finished tracks are filed.",
        default_factory=_default_library,
        default_text="~/Music/spotsyncd",
        env=("OUTPUT_DIR",),
        example="~/Music/spotsyncd",
    )
    inbox_dir: Annotated[Path, PATH] = key(
        doc="The folder watched for link files (*.txt, *.links). Accepted files move to "
        "inbox/processed/ (with NAME.report.txt), unreadable ones to inbox/failed/.",
        default_factory=_default_inbox,
        default_text="<library_dir>/inbox",
        example="~/Music/spotsyncd/inbox",
    )
    state_dir: Annotated[Path, PATH] = key(
        doc="The ledger (SQLite), staging folders, circuit state, the Spotify login, the last "
        "answer of each followed feed.",
        default_factory=_default_state,
        default_text="the user data dir (Linux: ~/.local/share/spotsyncd; macOS: "
        "~/Library/Application Support/spotsyncd)",
        example="~/.local/share/spotsyncd",
    )
    log_file: Annotated[Path | None, OPTIONAL_PATH] = key(
        doc="Rotating log file (5 MB x 3); empty: no file.",
        default_factory=_default_log,
        default_text="<state_dir>/logs/spotsyncd.log",
        example="~/.local/share/spotsyncd/logs/spotsyncd.log",
    )
    log_level: Annotated[str, one_of(LOG_LEVELS)] = key(
        "info", "How much the log says; debug adds download progress."
    )
    poll_every_s: Annotated[int, duration(parse_duration, "at least 1m")] = key(
        6 * 3600,
        "How often follows added with 'spotsyncd follow' or the API are polled, unless they "
        "say otherwise.",
        unit="seconds",
        name="poll_every",
    )
    audio: AudioConfig = Field(default_factory=AudioConfig)
    download: DownloadConfig = Field(default_factory=DownloadConfig)
    library: LibraryConfig = Field(default_factory=LibraryConfig)
    spotify: SpotifyConfig = Field(default_factory=SpotifyConfig)
    matching: MatchingConfig = Field(default_factory=MatchingConfig)
    artist: ArtistConfig = Field(default_factory=ArtistConfig)
    web: WebConfig = Field(default_factory=WebConfig)
    lyrics: LyricsConfig = Field(default_factory=LyricsConfig)
    musicbrainz: MusicBrainzConfig = Field(default_factory=MusicBrainzConfig)
    acoustid: AcoustidConfig = Field(default_factory=AcoustidConfig)
    ledger: LedgerConfig = Field(default_factory=LedgerConfig)
    queue: QueueConfig = Field(default_factory=QueueConfig)
    network: NetworkConfig = Field(default_factory=NetworkConfig)
    notify: NotifyConfig = Field(default_factory=NotifyConfig)
    youtube: YoutubeConfig = Field(default_factory=YoutubeConfig)
    extractors: ExtractorsConfig = Field(default_factory=ExtractorsConfig)
    sources: SourcesConfig = Field(default_factory=SourcesConfig)
    follows: tuple[FollowConfig, ...] = ()
    media_servers: tuple[MediaServer, ...] = ()
    media_servers_debounce_s: Annotated[
        float, Parse(debounce_value, "duration (1s to 1d)", format_duration)
    ] = key(
        60.0,
        "Quiet (no newly finished track, no rewritten playlist) before each media server is "
        "asked for one scan; a long batch still asks at least every 10 quiet periods.",
        unit="seconds",
        name="media_servers_debounce",
    )
    source: Path | None = None  # the file it was read from, if any
    renamed: tuple[str, ...] = Field((), exclude=True)  # old names it used: "old → new"
    # Where each value not left at its default was written: dotted key → "FILE, line N" or
    # "environment variable NAME" (for the dashboard's settings page).
    origins: dict[str, str] = Field(default_factory=dict, exclude=True)

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

    def renamed_warning(self) -> str:
        """One line for the log or the terminal when the config used old key names."""
        if not self.renamed:
            return ""
        where = self.source or "environment"
        return (
            f"{where}: old key names, still read: {', '.join(self.renamed)}; rename them "
            "(see config.example.yaml)"
        )

    def redacted(self) -> dict[str, Any]:
        """The effective configuration as plain data, secrets masked."""
        return redacted(self)

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every configured secret, longest first, for the log redactor."""
        return tuple(sorted({s for s in secrets_of(self) if s}, key=len, reverse=True))

    def check_urls(self) -> tuple[str, ...]:
        """The hosts to probe for "are we online?" and for ``doctor``: configured, or those
        this config needs (YouTube, YouTube Music, Spotify's API and embed pages)."""
        if self.network.check_urls:
            return self.network.check_urls
        wanted = ("https://www.youtube.com/", "https://music.youtube.com/",
                  self.spotify.api_url, self.spotify.embed_url)  # fmt: skip
        return tuple(dict.fromkeys(wanted))


SECTIONS: dict[str, type[Section]] = {
    name: info.annotation
    for name, info in Config.model_fields.items()
    if isinstance(info.annotation, type) and issubclass(info.annotation, Section)
}
SCHEMA: dict[str, Key] = {
    k.dotted: k for k in keys_of(Config) + [k for s, m in SECTIONS.items() for k in keys_of(m, s)]
}
OLD_NAMES: dict[str, Key] = {old: k for k in SCHEMA.values() for old in k.old}
ENVIRONMENT: dict[str, tuple[Key, str]] = {
    **{f"SPOTSYNCD_{old.replace('.', '_').upper()}": (k, old) for old, k in OLD_NAMES.items()},
    **{k.env: (k, k.dotted) for k in SCHEMA.values()},
    **{name: (k, k.dotted) for k in SCHEMA.values() for name in k.classic_env},
}


def default_config_path(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if env.get("SPOTSYNCD_CONFIG"):
        return Path(env["SPOTSYNCD_CONFIG"]).expanduser()
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP)) / "config.yaml"


def _env_key(name: str) -> str | None:
    """``SPOTSYNCD_AUDIO_FORMAT`` → ``audio.format``; ``OUTPUT_DIR`` → ``library_dir``."""
    found = ENVIRONMENT.get(name)
    return found[0].dotted if found else None


@dataclass(frozen=True)
class _Origin:
    """Where a value was written: the key as written, the file (or variable) and the line."""

    key: str
    file: str
    line: int | None
    order: int


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
    written = Written()
    source: Path | None = None
    if path.exists() or require_file or explicit:
        if not path.is_file():
            raise ConfigError(
                "config file not found (run 'spotsyncd config show' for defaults)", file=str(path)
            )
        written = read_yaml(path, SECTIONS)
        source = path
    file_name = str(path) if source else ""
    given: dict[str, tuple[Any, _Origin]] = {}
    renamed: list[str] = []
    for name, (value, line) in written.values.items():
        spec = SCHEMA.get(name) or OLD_NAMES.get(name)
        if spec is None:
            raise ConfigError(f"unknown key{_suggest(name)}", key=name, file=file_name, line=line)
        if spec.dotted in given:
            raise ConfigError(
                f"set twice (also as {given[spec.dotted][1].key}): keep {spec.dotted}",
                key=name,
                file=file_name,
                line=line,
            )
        if name != spec.dotted:
            renamed.append(f"{name} → {spec.dotted}")
        if spec.is_path and source is not None:
            value = v.Beside(value, source.parent.absolute())
        given[spec.dotted] = (value, _Origin(name, file_name, line, line or 0))

    overrides = read_dotenv(path.parent / ".env") if source else {}
    overrides.update(env)
    for variable, value in overrides.items():
        found = ENVIRONMENT.get(variable)
        if found is None:
            if variable.startswith("SPOTSYNCD_") and variable != "SPOTSYNCD_CONFIG":
                raise ConfigError("unknown environment override", key=variable)
            continue
        spec, name = found
        if name != spec.dotted:
            renamed.append(f"{variable} → {spec.env}")
        if spec.dotted in given:
            _check_alone(spec, *given[spec.dotted])  # a bad file value is an error all the same
        origin = _Origin(name, f"environment variable {variable}", None, 10**9 + len(given))
        given[spec.dotted] = (value, origin)
    return _validate(given, written, source, file_name, tuple(renamed))


def _suggest(key: str) -> str:
    import difflib

    close = difflib.get_close_matches(key, list(SCHEMA) + list(OLD_NAMES), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _check_alone(spec: Key, value: Any, origin: _Origin) -> None:
    parse = parse_of(spec.info)
    try:
        if parse is not None:
            parse.parser(value)
    except ValueError as exc:
        raise ConfigError(str(exc), key=origin.key, file=origin.file, line=origin.line) from None


def _validate(
    given: dict[str, tuple[Any, _Origin]],
    written: Written,
    source: Path | None,
    file_name: str,
    renamed: tuple[str, ...],
) -> Config:
    data: dict[str, Any] = {"source": source, "renamed": renamed}
    origins: dict[tuple[Any, ...], _Origin] = {}
    data["origins"] = {
        dotted: origin.file + (f", line {origin.line}" if origin.line else "")
        for dotted, (_, origin) in given.items()
    }
    data["origins"].update(
        {name: file_name for name in ("follows", "media_servers") if getattr(written, name)}
    )
    for dotted, (value, origin) in given.items():
        spec = SCHEMA[dotted]
        target = data.setdefault(spec.section, {}) if spec.section else data
        target[spec.field] = value
        origins[(spec.section, spec.field) if spec.section else (spec.field,)] = origin
    for name, entries in (("follows", written.follows), ("media_servers", written.media_servers)):
        items = []
        for index, (item, line) in enumerate(entries):
            origin = _Origin(name, file_name, line, line or 0)
            origins[(name, index)] = origin
            try:
                items.append(follow_entry(item) if name == "follows" else server_entry(item))
            except KeyProblem as exc:
                where = f"{name}.{exc.key}" if exc.key else name
                raise ConfigError(str(exc), key=where, file=file_name, line=line) from None
        data[name] = items
    try:
        return Config.model_validate(data, context={USER_INPUT: True})
    except ValidationError as exc:
        problems = [_problem(error, origins, file_name) for error in exc.errors()]
        message, name, origin = min(problems, key=lambda p: p[2].order)
        raise ConfigError(message, key=name, file=origin.file, line=origin.line) from None


def _problem(
    error: Any, origins: dict[tuple[Any, ...], _Origin], file_name: str
) -> tuple[str, str, _Origin]:
    """A pydantic error as (message, key as written, origin)."""
    loc = list(error["loc"])
    message = str(error["msg"])
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, ValueError):
        message = str(cause)
    if isinstance(cause, KeyProblem):
        loc.append(cause.key)
    if error["type"] == "missing":
        message = "required here, but not set (see config.example.yaml)"
    if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
        tag = (error.get("ctx") or {}).get("tag", "")
        loc.append("type")
        message = f"expected one of {', '.join(SERVER_TYPES)}, got {tag!r}"
    if loc and loc[0] in ("follows", "media_servers") and len(loc) > 1:
        rest = [str(part) for part in loc[2:] if part not in VARIANTS]
        rest = [{k.field: k.name for k in keys_of(FollowConfig)}.get(part, part) for part in rest]
        origin = origins.get((loc[0], loc[1])) or _Origin(str(loc[0]), file_name, None, 0)
        return message, ".".join([str(loc[0]), *rest]), origin
    section, field = (str(loc[0]), str(loc[1])) if len(loc) > 1 else ("", str(loc[0]))
    if section and section not in SECTIONS:
        section, field = "", section
    where = (section, field) if section else (field,)
    found = origins.get(where)
    if found is not None:
        return message, found.key, found
    spec = next((k for k in SCHEMA.values() if (k.section, k.field) == (section, field)), None)
    dotted = spec.dotted if spec else ".".join(where)
    origin = _Origin(dotted, file_name, None, 0)
    return message, origin.key, origin


def _owner_only(directory: Path) -> None:
    """``directory`` readable by its owner only (0700), when it is ours and looser."""
    try:
        info = directory.stat()
        if info.st_uid == os.getuid() and info.st_mode & 0o077:
            directory.chmod(0o700)
    except OSError:
        pass  # not ours to change: the files in it are 0600 on their own


def prepare_dirs(config: Config) -> None:
    """Create the library, inbox and state dirs; fail with the key name if one is unwritable."""
    checks = [
        ("library_dir", config.library_dir),
        ("inbox_dir", config.inbox_dir),
        ("state_dir", config.state_dir),
    ]
    if config.log_file is not None:
        checks.append(("log_file", config.log_file.parent))
    for key_name, directory in checks:
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(
                f"cannot create {directory}: {exc.strerror}",
                key=key_name,
                file=str(config.source or ""),
            ) from None
        if not os.access(directory, os.W_OK | os.X_OK):
            raise ConfigError(
                f"{directory} is not writable", key=key_name, file=str(config.source or "")
            )
    _owner_only(config.state_dir)  # tokens, sessions, the ledger, Spotify's login
    for sub in ("processed", "failed"):
        (config.inbox_dir / sub).mkdir(exist_ok=True)
    config.staging_dir.mkdir(exist_ok=True)
