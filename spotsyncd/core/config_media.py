"""``media_servers:`` entries: which Navidrome, Jellyfin or Plex servers to ask for a rescan.

An entry is one of a discriminated union on ``type`` (:data:`MediaServer`): each type's model
says which credentials it uses and which it needs. They share :class:`MediaServerConfig`, the
attributes every client reads; errors name the key (``media_servers.api_key``), the file and
the line, like every other config error; the secrets (password, token, api_key) are masked
wherever the config is shown.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import Discriminator, Tag, ValidationInfo, model_validator

from spotsyncd.core import config_values as v
from spotsyncd.core.config_fields import (
    OPTIONAL_TEXT,
    WHOLE,
    KeyProblem,
    Parse,
    Section,
    from_people,
    key,
)

SERVER_TYPES = ("navidrome", "jellyfin", "plex")
CREDENTIALS = ("user", "password", "token", "salt", "api_key", "section")


def server_url(value: Any) -> str:
    url = v.str_value(value).strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"expected an http(s) URL such as http://localhost:4533, got {url!r}")
    if parts.username or parts.password or parts.query:
        raise ValueError("put credentials in their own keys, not in the URL")
    return url


def server_path(value: Any) -> str | None:
    text = v.optional_str(value)
    if text is not None and not Path(text).is_absolute():
        raise ValueError("must be an absolute path as the server sees it")
    return text


TYPE = Parse(v.choice(SERVER_TYPES), " | ".join(SERVER_TYPES))
SECRET_TEXT = Annotated[str | None, OPTIONAL_TEXT, WHOLE]


class MediaServerConfig(Section):
    """One media server. ``library_path`` is spotsyncd's library as the server sees it (a
    different path when the server runs in a container); None means the same path."""

    drop_unset: ClassVar[bool] = True
    uses: ClassVar[tuple[str, ...]] = CREDENTIALS  # the credentials this type reads

    type: Annotated[str, TYPE] = key(..., "The kind of server.", default_text="required")
    url: Annotated[str, Parse(server_url, "http(s) URL")] = key(
        ..., "The server's base URL.", default_text="required"
    )
    name: Annotated[str, OPTIONAL_TEXT] = key(
        default_factory=lambda data: data.get("type") or "server",
        doc="A label for logs and doctor.",
        default_text="the type",
    )
    user: Annotated[str | None, OPTIONAL_TEXT] = key(None, "The user name.")
    password: SECRET_TEXT = key(
        None, "The password: sent only as a salted md5 token, a fresh salt per request."
    )
    token: SECRET_TEXT = key(
        None, "Navidrome: md5(password + salt), given with salt; Plex: the X-Plex-Token."
    )
    salt: Annotated[str | None, OPTIONAL_TEXT] = key(None, "The salt the token was made with.")
    api_key: SECRET_TEXT = key(None, "An API key from Dashboard → API Keys.")
    section: Annotated[str | None, OPTIONAL_TEXT] = key(
        None,
        "A library section key or title; by default the section whose folders contain the library.",
    )
    library_path: Annotated[str | None, Parse(server_path, "absolute path")] = key(
        None,
        "spotsyncd's library as the server sees it, when that differs (inside a container).",
        default_text="library_dir",
    )

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self.password, self.token, self.api_key) if s)

    def redacted(self) -> dict[str, Any]:
        from spotsyncd.core.config_fields import redacted

        return redacted(self)

    @model_validator(mode="after")
    def _credentials(self, info: ValidationInfo) -> MediaServerConfig:
        if not from_people(info):
            return self
        uses = type(self).uses
        for name in CREDENTIALS:
            if getattr(self, name) and name not in uses:
                raise KeyProblem(
                    name, f"not used by a {self.type} server (it uses: {', '.join(uses)})"
                )
        self.check()
        return self

    def check(self) -> None:
        """Raise KeyProblem when a credential this type needs is missing."""


class NavidromeServer(MediaServerConfig):
    """Navidrome (any Subsonic server): user + password, or token + salt (token =
    md5(password + salt)) to keep the password out of the file."""

    uses: ClassVar[tuple[str, ...]] = ("user", "password", "token", "salt")
    type: Annotated[Literal["navidrome"], TYPE] = "navidrome"

    def check(self) -> None:
        if not self.user:
            raise KeyProblem("user", "a navidrome server needs its user name")
        if not self.password and not (self.token and self.salt):
            raise KeyProblem("password", "a navidrome server needs password, or token and salt")
        if self.password and self.token:
            raise KeyProblem("token", "give either password or token + salt, not both")


class JellyfinServer(MediaServerConfig):
    """Jellyfin: an API key from Dashboard → API Keys."""

    uses: ClassVar[tuple[str, ...]] = ("api_key",)
    type: Annotated[Literal["jellyfin"], TYPE] = "jellyfin"

    def check(self) -> None:
        if not self.api_key:
            raise KeyProblem("api_key", "a jellyfin server needs an API key (Dashboard → API Keys)")


class PlexServer(MediaServerConfig):
    """Plex: the X-Plex-Token, and optionally a library section."""

    uses: ClassVar[tuple[str, ...]] = ("token", "section")
    type: Annotated[Literal["plex"], TYPE] = "plex"

    def check(self) -> None:
        if not self.token:
            raise KeyProblem("token", "a plex server needs its X-Plex-Token")


VARIANTS: dict[str, type[MediaServerConfig]] = {
    "navidrome": NavidromeServer,
    "jellyfin": JellyfinServer,
    "plex": PlexServer,
}


def _server_type(value: Any) -> str:
    found = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return str(found or "").strip().lower()


MediaServer = Annotated[
    Annotated[NavidromeServer, Tag("navidrome")]
    | Annotated[JellyfinServer, Tag("jellyfin")]
    | Annotated[PlexServer, Tag("plex")],
    Discriminator(_server_type),
]


def server_entry(item: Any) -> dict[str, Any]:
    """One entry as written → field values, empty ones left out; KeyProblem names a bad key."""
    if not isinstance(item, dict):
        raise KeyProblem("", "each media server must be a mapping with type, url and credentials")
    known = tuple(MediaServerConfig.model_fields)
    for name in item:
        if name not in known:
            raise KeyProblem(str(name), f"unknown key (known: {', '.join(known)})")
    return {k: value for k, value in item.items() if k == "type" or value not in (None, "")}


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
