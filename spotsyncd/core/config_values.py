"""Parsers for configuration values: each takes what YAML or the environment gave and returns
the typed value, or raises ValueError with a message fit for the user."""

from __future__ import annotations

import os
import re
import string
from collections.abc import Callable
from pathlib import Path
from typing import Any

BITRATES = ("128k", "192k", "256k", "320k", "v0")
TEMPLATE_FIELDS = frozenset(
    {
        "artist",
        "artists",
        "album",
        "album_artist",
        "title",
        "track_number",
        "disc_number",
        "year",
        "date",
        "ext",
        "playlist",
        "genre",
        "key",
    }
)


def parse_duration(value: Any) -> int:
    """``90``, ``"90s"``, ``"30m"``, ``"6h"``, ``"1d"``, ``"1h30m"`` → seconds."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 30m, 6h or 1d")
    if isinstance(value, int | float):
        seconds = int(value)
    else:
        text = str(value).strip().lower()
        parts = re.findall(r"(\d+(?:\.\d+)?)\s*([smhdw]?)", text)
        if not parts or re.sub(r"[\d.\sdhmsw]", "", text):
            raise ValueError(f"expected a duration such as 30m, 6h or 1d, got {value!r}")
        unit = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
        seconds = int(sum(float(n) * unit[u] for n, u in parts))
    if seconds < 60:
        raise ValueError(f"must be at least 1 minute, got {value!r}")
    return seconds


def bool_value(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"expected true or false, got {value!r}")


def int_value(lo: int, hi: int) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        if isinstance(value, bool) or isinstance(value, float) and not value.is_integer():
            raise ValueError(f"expected a whole number, got {value!r}")
        try:
            number = int(str(value).strip()) if not isinstance(value, int | float) else int(value)
        except ValueError:
            raise ValueError(f"expected a whole number, got {value!r}") from None
        if not lo <= number <= hi:
            raise ValueError(f"must be between {lo} and {hi}, got {number}")
        return number

    return parse


def float_value(lo: float, hi: float) -> Callable[[Any], float]:
    def parse(value: Any) -> float:
        if isinstance(value, bool):
            raise ValueError(f"expected a number, got {value!r}")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"expected a number, got {value!r}") from None
        if not lo <= number <= hi:
            raise ValueError(f"must be between {lo} and {hi}, got {number}")
        return number

    return parse


def choice(options: tuple[str, ...]) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        text = str(value).strip().lower()
        if text not in options:
            raise ValueError(f"expected one of {', '.join(options)}, got {value!r}")
        return text

    return parse


def choice_list(options: tuple[str, ...]) -> Callable[[Any], tuple[str, ...]]:
    """A non-empty list of ``options`` (YAML list or comma-separated text), without repeats."""

    def parse(value: Any) -> tuple[str, ...]:
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, list | tuple) or not items:
            raise ValueError(f"expected a list of {', '.join(options)}, got {value!r}")
        chosen = tuple(dict.fromkeys(choice(options)(item) for item in items))
        return chosen

    return parse


def id3_version(value: Any) -> int:
    """3 (ID3v2.3) or 4 (ID3v2.4)."""
    return int(choice(("3", "4"))(value))


def bitrate(value: Any) -> str:
    """``320``, ``320k``, ``best`` → ``320k``; one of BITRATES."""
    text = str(value).strip().lower()
    if text in ("best", "high"):
        return "320k"
    if text.isdigit():
        text += "k"
    return choice(BITRATES)(text)


def str_value(value: Any) -> str:
    if isinstance(value, dict | list) or value is None:
        raise ValueError(f"expected text, got {value!r}")
    return str(value)


def http_url(value: Any) -> str:
    text = str_value(value).strip()
    if not text.lower().startswith(("http://", "https://")):
        raise ValueError(f"expected an http(s) URL, got {value!r}")
    return text


def optional_str(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return str_value(value)


def path_value(value: Any) -> Path:
    return Path(os.path.expandvars(str_value(value))).expanduser()


def optional_path(value: Any) -> Path | None:
    if value is None or value == "":
        return None
    return path_value(value)


def template(value: Any) -> str:
    """A ``library.path_template``: known fields only, relative, ending in ``.{ext}``."""
    text = str_value(value)
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(text) if f]
    except ValueError as exc:
        raise ValueError(f"not a valid template: {exc}") from None
    for name in fields:
        base = re.split(r"[.\[!:]", name, maxsplit=1)[0]
        if base not in TEMPLATE_FIELDS:
            known = ", ".join(sorted(TEMPLATE_FIELDS))
            raise ValueError(f"unknown field {{{base}}}; known: {known}")
    if not text.endswith(".{ext}"):
        raise ValueError("must end with .{ext}")
    if text.startswith("/") or ".." in text.split("/"):
        raise ValueError("must be relative to library_dir")
    return text


def split_listen(value: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:PORT`` for IPv6) → (host, port)."""
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError(f"expected HOST:PORT such as 127.0.0.1:8642, got {value!r}")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not host or int(port) > 65535:
        raise ValueError(f"expected HOST:PORT such as 127.0.0.1:8642, got {value!r}")
    return host, int(port)


def listen_address(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected HOST:PORT such as 127.0.0.1:8642, got {value!r}")
    split_listen(value.strip())
    return value.strip()


def is_loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_HOST_NAME = re.compile(r"[A-Za-z0-9._\[\]:-]{1,255}")


def host_list(value: Any) -> tuple[str, ...]:
    """Host header values: a list of names (``nas.local``, ``nas.local:8642``)."""
    if isinstance(value, str):
        value = [part for part in value.replace(",", " ").split() if part]
    if not isinstance(value, list):
        raise ValueError(f"expected a list of host names, got {value!r}")
    hosts: list[str] = []
    for item in value:
        if not isinstance(item, str) or not _HOST_NAME.fullmatch(item.strip()):
            raise ValueError(f"expected a host name such as nas.local, got {item!r}")
        hosts.append(item.strip().lower())
    return tuple(hosts)


DATABASE_SCHEMES = ("sqlite", "postgresql+psycopg")


def redact_url(url: str) -> str:
    """``scheme://user:secret@host/db`` → ``scheme://user:***@host/db`` (for logs and output)."""
    return re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", url)


def database_url(value: Any) -> str | None:
    """``ledger.url``: ``sqlite:///PATH`` or ``postgresql+psycopg://user@host:port/db``."""
    text = optional_str(value)
    if text is None:
        return None
    text = text.strip()
    scheme, sep, rest = text.partition("://")
    if scheme in ("postgresql", "postgres"):
        scheme = "postgresql+psycopg"  # the one PostgreSQL driver spotsyncd ships
    if not sep or scheme not in DATABASE_SCHEMES:
        raise ValueError(
            f"expected sqlite:///PATH or postgresql+psycopg://USER@HOST:PORT/DATABASE, "
            f"got {redact_url(text)!r}"
        )
    if scheme == "sqlite" and not rest.startswith("/"):
        raise ValueError("a SQLite URL needs a file path: sqlite:////absolute/path.sqlite3")
    if scheme != "sqlite" and not rest.rsplit("/", 1)[-1:][0]:
        raise ValueError("a PostgreSQL URL must name the database: postgresql+psycopg://…/NAME")
    return f"{scheme}://{rest}"


def broker_url(value: Any) -> str:
    """``queue.broker_url``: a Redis URL, ``redis://[:password@]host:port/db`` (or rediss://)."""
    text = str_value(value).strip()
    if not text.startswith(("redis://", "rediss://")):
        raise ValueError(f"expected redis://HOST:PORT/DB, got {redact_url(text)!r}")
    return text


def duration_between(lo: int, hi: int) -> Callable[[Any], int]:
    """A duration (``90``, ``"30s"``, ``"2h"``) in seconds, within [lo, hi]."""

    def parse(value: Any) -> int:
        try:
            seconds = parse_duration(value)
        except ValueError as exc:
            if "at least 1 minute" not in str(exc):
                raise
            seconds = int(float(re.sub(r"s$", "", str(value).strip().lower())))
        if not lo <= seconds <= hi:
            raise ValueError(f"must be between {lo}s and {hi}s, got {value!r}")
        return seconds

    return parse


def url_password(url: str | None) -> str | None:
    """The password in ``scheme://user:password@host/…`` (for the log redactor), if any."""
    from urllib.parse import unquote, urlsplit

    try:
        password = urlsplit(url).password if url else None
    except ValueError:
        return None
    return unquote(password) if password else None
