"""``media_servers:`` entries: which Navidrome, Jellyfin or Plex servers to ask for a rescan.

Each entry is a mapping with ``type``, ``url`` and the credentials that type needs; errors name
the key (``media_servers.api_key``), the file and the line, like every other config error.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from spotsyncd.core import config_values as v
from spotsyncd.core.errors import ConfigError

SERVER_TYPES = ("navidrome", "jellyfin", "plex")
SERVER_KEYS = (
    "type",
    "url",
    "name",
    "user",
    "password",
    "token",
    "salt",
    "api_key",
    "section",
    "library_path",
)
SECRET_FIELDS = ("password", "token", "api_key")
_NEEDS: dict[str, tuple[str, ...]] = {
    "navidrome": ("user", "password", "token", "salt"),
    "jellyfin": ("api_key",),
    "plex": ("token", "section"),
}


@dataclass(frozen=True)
class MediaServerConfig:
    """One media server. ``library_path`` is spotsyncd's library as the server sees it (a
    different path when the server runs in a container); None means the same path."""

    type: str
    url: str
    name: str
    user: str | None = None
    password: str | None = None  # Subsonic: hashed with a fresh salt per request, never sent
    token: str | None = None  # Subsonic: md5(password + salt), given with ``salt``; Plex: token
    salt: str | None = None
    api_key: str | None = None  # Jellyfin
    section: str | None = None  # Plex: a library section key or title
    library_path: str | None = None

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self.password, self.token, self.api_key) if s)

    def redacted(self) -> dict[str, Any]:
        data: dict[str, Any] = {k: getattr(self, k) for k in SERVER_KEYS}
        for key in SECRET_FIELDS:
            if data[key]:
                data[key] = "***"
        return {k: value for k, value in data.items() if value is not None}


def parse_media_server(item: Any, line: int | None, file: str) -> MediaServerConfig:
    """One ``media_servers`` entry, checked: the type's credentials are all there."""

    def fail(message: str, key: str) -> ConfigError:
        return ConfigError(message, key=f"media_servers.{key}", file=file, line=line)

    if not isinstance(item, dict):
        raise ConfigError(
            "each media server must be a mapping with type, url and credentials",
            key="media_servers",
            file=file,
            line=line,
        )
    for key in item:
        if key not in SERVER_KEYS:
            raise fail(f"unknown key (known: {', '.join(SERVER_KEYS)})", str(key))
    values: dict[str, str | None] = {}
    for key in SERVER_KEYS:
        try:
            values[key] = v.optional_str(item.get(key))
        except ValueError as exc:
            raise fail(str(exc), key) from None
    try:
        kind = v.choice(SERVER_TYPES)(values["type"] or "")
    except ValueError as exc:
        raise fail(str(exc), "type") from None
    url = (values["url"] or "").strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise fail(f"expected an http(s) URL such as http://localhost:4533, got {url!r}", "url")
    if parts.username or parts.password or parts.query:
        raise fail("put credentials in their own keys, not in the URL", "url")
    for key, value in values.items():
        if value and key not in ("type", "url", "name", "library_path") and key not in _NEEDS[kind]:
            raise fail(f"not used by a {kind} server (it uses: {', '.join(_NEEDS[kind])})", key)
    if kind == "navidrome":
        if not values["user"]:
            raise fail("a navidrome server needs its user name", "user")
        if not values["password"] and not (values["token"] and values["salt"]):
            raise fail("a navidrome server needs password, or token and salt", "password")
        if values["password"] and values["token"]:
            raise fail("give either password or token + salt, not both", "token")
    elif kind == "jellyfin" and not values["api_key"]:
        raise fail("a jellyfin server needs an API key (Dashboard → API Keys)", "api_key")
    elif kind == "plex" and not values["token"]:
        raise fail("a plex server needs its X-Plex-Token", "token")
    library_path = values["library_path"]
    if library_path is not None and not Path(library_path).is_absolute():
        raise fail("must be an absolute path as the server sees it", "library_path")
    return MediaServerConfig(
        type=kind,
        url=url,
        name=values["name"] or kind,
        user=values["user"],
        password=values["password"],
        token=values["token"],
        salt=values["salt"],
        api_key=values["api_key"],
        section=values["section"],
        library_path=library_path,
    )


def debounce_value(value: Any) -> float:
    """``media_servers_debounce``: seconds of quiet before the servers are asked: ``60``,
    ``"90s"``, ``"2m"`` (1 s … 1 day)."""
    if isinstance(value, str):
        text = value.strip().lower()
        unit = {"s": 1, "m": 60, "h": 3600}.get(text[-1:], 0)
        try:
            value = float(text[:-1] if unit else text) * (unit or 1)
        except ValueError:
            raise ValueError(
                f"expected seconds or a duration such as 60s or 2m, got {value!r}"
            ) from None
    return v.float_value(1, 86400)(value)
