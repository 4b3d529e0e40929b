"""The configuration reference, written from the models: ``docs/reference/configuration.md``
and ``config.example.yaml``. A test regenerates both and fails when the committed files differ.

    python -m spotsyncd.core.config_reference          # rewrite both files
    python -m spotsyncd.core.config_reference --check  # exit 1 if either is out of date
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path
from typing import Any

import yaml

from spotsyncd.core.config import SCHEMA, SECTIONS, Config
from spotsyncd.core.config_fields import Key, keys_of, parse_of, secret_of
from spotsyncd.core.config_follows import FollowConfig, FollowOptions
from spotsyncd.core.config_media import CREDENTIALS, VARIANTS

ROOT = Path(__file__).resolve().parents[2]
DOCS = Path("docs/reference/configuration.md")
EXAMPLE = Path("config.example.yaml")
COMMAND = "python -m spotsyncd.core.config_reference"

HEADER = f"""\
# spotsyncd configuration — every key, what it does, its default and an example.
# Written by '{COMMAND}' from the code that checks the values.
# Copy to ~/.config/spotsyncd/config.yaml (Linux; macOS: ~/Library/Application Support/spotsyncd/)
# or point to it with --config PATH / SPOTSYNCD_CONFIG. Every key is optional.
# Environment overrides: SPOTSYNCD_<SECTION>_<KEY> (e.g. SPOTSYNCD_AUDIO_FORMAT=flac,
# SPOTSYNCD_LIBRARY_DIR=/srv/music) and the classic .env names SPOTIFY_CLIENT_ID,
# SPOTIFY_CLIENT_SECRET, OUTPUT_DIR (= library_dir), DOWNLOAD_QUALITY (= audio.bitrate),
# MAX_RETRIES (= download.max_retries), YOUTUBE_API_KEY. A .env file beside this file is read too.
# Paths may use ~ and $VARS; a relative path is relative to this file's folder.
# Durations: 30s, 5m, 6h, 1d, 1h30m; a plain number is seconds.
"""

FOLLOWS_EXAMPLE: list[Any] = [
    "https://www.youtube.com/playlist?list=PLxxxxxxxxxxxxxxxx",
    {
        "url": "https://open.spotify.com/playlist/37i9dQZF1DXcBWIGoYBM5M",
        "every": "12h",
        "name": "todays-top-hits",
        "options": {"subdir": "Playlists/Top Hits", "on_removed": "keep"},
    },
]
SERVERS_EXAMPLE: dict[str, dict[str, str]] = {
    "navidrome": {"url": "http://localhost:4533", "user": "admin",
                  "password": "your-navidrome-password"},
    "jellyfin": {"url": "http://localhost:8096", "api_key": "your-jellyfin-api-key"},
    "plex": {"url": "http://localhost:32400", "token": "your-plex-token", "section": "Music",
             "library_path": "/data/music/spotsyncd"},
}  # fmt: skip


def _flow(value: Any) -> str:
    """A value as one line of YAML (``[15m, 1h]``, ``'09:00'``); None as nothing."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, tuple):
        value = list(value)
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=1000)
    return text.removesuffix("\n").removesuffix("\n...").strip()


def _shown(key: Key, value: Any) -> Any:
    parse = parse_of(key.info)
    if parse is not None and parse.show is not None and value is not None:
        return parse.show(value)
    if isinstance(value, Path):
        return str(value)
    return value


def _default(key: Key) -> str:
    text = key.extra("default_text")
    if text:
        return str(text)
    if key.info.is_required():
        return "required"
    default = key.info.default if key.info.default_factory is None else None
    shown = _flow(_shown(key, default))
    return shown if shown not in ("", "[]", "{}") else "none"


def _help(key: Key) -> str:
    secret = secret_of(key.info)
    note = f" {secret.note}." if secret is not None else ""
    return f"{key.info.description}{note}"


def _documented(keys: list[Key]) -> list[Key]:
    return [k for k in keys if not k.hidden]


# ---------------------------------------------------------------- config.example.yaml


def _comment(text: str, indent: str) -> list[str]:
    return textwrap.wrap(text, 98 - len(indent), initial_indent=f"{indent}# ",
                         subsequent_indent=f"{indent}# ", break_on_hyphens=False)  # fmt: skip


def _yaml_key(key: Key, indent: str) -> list[str]:
    parse = parse_of(key.info)
    shape = parse.shape if parse is not None else ""
    default = _default(key)
    bare = default.lstrip("-").replace(".", "", 1).isdigit()
    unit = f" {key.unit}" if key.unit and bare else ""
    lines = _comment(f"{_help(key)} Type: {shape}. Default: {default}{unit}", indent)
    example = key.extra("example", key.info.default if key.info.default_factory is None else None)
    return [*lines, f"{indent}{key.name}: {_flow(_shown(key, example))}".rstrip()]


def example_yaml() -> str:
    lines = HEADER.splitlines()
    top = _documented(keys_of(Config))
    for key in top:
        if key.field != "media_servers_debounce_s":
            lines += ["", *_yaml_key(key, "")]
    for section, model in SECTIONS.items():
        lines += ["", *_comment(" ".join((model.__doc__ or "").split()), ""), f"{section}:"]
        for key in _documented(keys_of(model, section)):
            lines += _yaml_key(key, "  ")
    lines += ["", *_comment(f"{' '.join((FollowConfig.__doc__ or '').split())} Keys: "
              + ", ".join(_brief(k) for k in keys_of(FollowConfig)) + "; options: "
              + ", ".join(_brief(k) for k in keys_of(FollowOptions)) + ".", "")]  # fmt: skip
    lines += ["follows:", *_indented(FOLLOWS_EXAMPLE)]
    lines += ["", *_comment(_servers_intro(), ""), "media_servers:"]
    for kind, model in VARIANTS.items():
        lines += _comment(" ".join((model.__doc__ or "").split()), "  ")
        lines += _indented([{"type": kind, **SERVERS_EXAMPLE[kind]}])
    debounce = SCHEMA["media_servers_debounce"]
    lines += ["", *_yaml_key(debounce, "")]
    return "\n".join(lines) + "\n"


def _brief(key: Key) -> str:
    """``every (how often it is polled; default 6h)``."""
    about = str(key.info.description).rstrip(".")
    default = _default(key)
    about += f"; default {default}" if default not in ("none", "required") else ""
    return f"{key.name} ({about[:1].lower()}{about[1:]})"


def _indented(items: list[Any]) -> list[str]:
    text = yaml.safe_dump(items, sort_keys=False, allow_unicode=True, width=1000, indent=2)
    return ["  " + line for line in text.splitlines()]


def _servers_intro() -> str:
    return (
        "Media servers to tell about new tracks and rewritten playlists, so they show them at "
        "once instead of after their next scheduled scan. Default: none. Each entry has a type "
        f"({' | '.join(VARIANTS)}), the server's url and its credentials; the secrets "
        "(password, token, api_key) are never logged or shown by 'config show' (keep this file "
        "chmod 600). Optional for every type: name (a label for logs and doctor) and "
        "library_path (spotsyncd's library as the server sees it, when that differs). "
        "'spotsyncd doctor' checks each one; 'spotsyncd media-servers test' asks each for a "
        "scan now."
    )


# ---------------------------------------------------------------- docs/reference/configuration.md


def _prose(text: str | None) -> str:
    """A docstring as one Markdown paragraph, stars and angle brackets kept literal."""
    return " ".join((text or "").split()).replace("*", "\\*").replace("<", "&lt;")


def _cell(text: str) -> str:
    """Prose for a table cell: pipes, stars and angle brackets kept literal."""
    for char, escaped in (("|", "\\|"), ("*", "\\*"), ("<", "&lt;"), ("\n", " ")):
        text = text.replace(char, escaped)
    return text


def _table(keys: list[Key], with_env: bool = True) -> list[str]:
    head = "| Key | Type | Default | Unit | Environment | Description |"
    rows = [head, "|---|---|---|---|---|---|"]
    for key in keys:
        parse = parse_of(key.info)
        env = ", ".join(f"`{name}`" for name in (key.env, *key.classic_env)) if with_env else ""
        default = f"`{_default(key)}`".replace("|", "\\|")
        shape = _cell(parse.shape if parse else "")
        cells = [f"`{key.dotted}`", shape, default, _cell(key.unit), env, _cell(_help(key))]
        rows.append("| " + " | ".join(cells) + " |")
    return rows


def reference_markdown() -> str:
    out = [
        "# Configuration reference",
        "",
        f"<!-- Written by `{COMMAND}` from spotsyncd/core/config*.py: edit those, not this. -->",
        "",
        "spotsyncd reads, each over the one before: the defaults below, the YAML file "
        "(`--config PATH`, `SPOTSYNCD_CONFIG`, or `~/.config/spotsyncd/config.yaml`), a `.env` "
        "file beside it, and the environment. Every key is optional. An error names the file, "
        "the line and the key, and the command exits with status 2. `config.example.yaml` at "
        "the top of the repository shows every key with a comment, written from the same code.",
        "",
        "- **Environment**: `SPOTSYNCD_<SECTION>_<KEY>`, e.g. `SPOTSYNCD_AUDIO_FORMAT=flac`; "
        "lists as comma-separated text (`SPOTSYNCD_NOTIFY_ON=failed,offline`).",
        "- **Paths** may use `~` and `$VARS`; in the file, a relative path is relative to the "
        "file's folder.",
        "- **Durations** are written `30s`, `5m`, `6h`, `1d` or `1h30m`; a plain number is "
        "seconds.",
        "- **Secrets** are masked by `spotsyncd config show`, the API and the logs.",
        "",
        "## Top-level keys",
        "",
        *_table(_documented(keys_of(Config))),
    ]
    for section, model in SECTIONS.items():
        out += ["", f"## `{section}`", "", _prose(model.__doc__), ""]
        out += _table(_documented(keys_of(model, section)))
    out += ["", "## `follows`", "", _prose(FollowConfig.__doc__), ""]
    out += _table(keys_of(FollowConfig, "follows"), with_env=False)
    out += ["", "Options (`follows[].options`):", ""]
    out += _table(keys_of(FollowOptions, "follows.options"), with_env=False)
    out += ["", "## `media_servers`", "", _prose(_servers_intro())]
    for kind, model in VARIANTS.items():
        used = [k for k in keys_of(model, "media_servers") if k.field != "type"
                and (k.field not in CREDENTIALS or k.field in model.uses)]  # fmt: skip
        out += ["", f"### `type: {kind}`", "", _prose(model.__doc__), ""]
        out += _table(used, with_env=False)
    old = [(name, k) for k in SCHEMA.values() for name in k.old]
    out += ["", "## Old names", "", "Still read, with one warning line; rename them.", ""]
    out += ["| Old name | Now |", "|---|---|"]
    out += [f"| `{name}` | `{k.dotted}` |" for name, k in old]
    return "\n".join(out) + "\n"


def generated() -> dict[Path, str]:
    return {DOCS: reference_markdown(), EXAMPLE: example_yaml()}


def main(argv: list[str]) -> int:
    def current(path: Path) -> str | None:
        return (ROOT / path).read_text(encoding="utf-8") if (ROOT / path).is_file() else None

    stale = [path for path, text in generated().items() if current(path) != text]
    if "--check" in argv:
        for path in stale:
            print(f"{path} is out of date: run {COMMAND} to regenerate it", file=sys.stderr)
        return 1 if stale else 0
    for path, text in generated().items():
        (ROOT / path).parent.mkdir(parents=True, exist_ok=True)
        (ROOT / path).write_text(text, encoding="utf-8")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
