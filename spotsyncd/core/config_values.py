"""Parsers for configuration values: each takes what YAML or the environment gave and returns
the typed value, or raises ValueError with a message fit for the user."""

from __future__ import annotations

import datetime
import ipaddress
import os
import re
import string
from collections.abc import Callable
from dataclasses import dataclass
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
        "show",  # a podcast episode's show (its album)
    }
)


def since(value: Any) -> str:
    """A feed follow's ``since``: ``all``, or a date (``2024-05-01``; YAML may hand a date)."""
    if isinstance(value, datetime.date):
        return value.isoformat()[:10]
    text = str_value(value).strip().lower()
    if text == "all":
        return text
    try:
        return datetime.date.fromisoformat(text).isoformat()
    except ValueError:
        raise ValueError(f"expected a date (YYYY-MM-DD) or all, got {value!r}") from None


def parse_duration(value: Any) -> int:
    """``90``, ``"90s"``, ``"30m"``, ``"6h"``, ``"1d"``, ``"1h30m"`` → seconds (≥ 1 minute)."""
    seconds = _seconds(value)
    if seconds < 60:
        raise ValueError(f"must be at least 1 minute, got {value!r}")
    return seconds


def short_duration(value: Any) -> int:
    """Like ``parse_duration``, but seconds such as ``5s`` are allowed (≥ 1 second): for
    settings that tests and impatient users make short."""
    seconds = _seconds(value)
    if seconds < 1:
        raise ValueError(f"must be at least 1 second, got {value!r}")
    return seconds


def duration_list(value: Any) -> tuple[float, ...]:
    """A list of short durations (``[15m, 1h, 6h, 24h]``, or ``"5s, 10s"`` from the
    environment); an empty list, ``off`` or ``none`` means no entries."""
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "off", "none")):
        return ()
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise ValueError(f"expected a list of durations such as [15m, 1h, 6h, 24h], got {value!r}")
    return tuple(float(short_duration(item)) for item in items)


def _seconds(value: Any) -> int:
    return int(seconds_of(value))


def seconds_of(value: Any) -> float:
    """``90``, ``0.5``, ``"90s"``, ``"1h30m"`` → seconds; a plain number is seconds."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 30m, 6h or 1d")
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip().lower()
    parts = re.findall(r"(\d+(?:\.\d+)?)\s*([smhdw]?)", text)
    if not parts or re.sub(r"[\d.\sdhmsw]", "", text):
        raise ValueError(f"expected a duration such as 30m, 6h or 1d, got {value!r}")
    unit = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
    return sum(float(n) * unit[u] for n, u in parts)


def seconds_between(lo: float, hi: float) -> Callable[[Any], float]:
    """A duration in seconds with fractions kept (``0.2``, ``"1.5s"``, ``"2m"``), in [lo, hi]."""

    def parse(value: Any) -> float:
        seconds = seconds_of(value)
        if not lo <= seconds <= hi:
            raise ValueError(f"must be between {lo:g}s and {hi:g}s, got {value!r}")
        return seconds

    return parse


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


def optional_http_url(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return http_url(value).rstrip("/")


_CLIENT_NAME = re.compile(r"-?[a-z][a-z0-9_]{0,39}")


def client_sets(value: Any) -> tuple[tuple[str, ...], ...]:
    """yt-dlp player client sets, tried in order: ``[[default], [tv, web_safari]]`` in YAML,
    or ``"default; tv,web_safari"`` from the environment (``;`` between sets). A set may be
    written as one comma-separated string."""
    if isinstance(value, str):
        value = [part for part in value.split(";") if part.strip()]
    if not isinstance(value, list | tuple) or not value:
        raise ValueError(
            f"expected a list of client sets such as [[default], [tv, web_safari]], got {value!r}"
        )
    sets: list[tuple[str, ...]] = []
    for index, item in enumerate(value, start=1):
        names = _text_list(item if isinstance(item, list | tuple) else str_value(item))
        bad = [n for n in names if not _CLIENT_NAME.fullmatch(n)]
        if not names or bad:
            raise ValueError(
                f"client set {index} must name yt-dlp player clients (tv, web_safari, "
                f"android_vr, default…), got {item!r}"
            )
        sets.append(tuple(names))
    return tuple(sets)


def optional_str(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return str_value(value)


@dataclass(frozen=True)
class Beside:
    """A path as written in the config file: relative means "beside the file", not the
    daemon's working directory (which is / under systemd)."""

    value: Any
    folder: Path


def path_value(value: Any) -> Path:
    if isinstance(value, Beside):
        path = path_value(value.value)
        return path if path.is_absolute() else value.folder / path
    return Path(os.path.expandvars(str_value(value))).expanduser()


def optional_path(value: Any) -> Path | None:
    if isinstance(value, Beside) and value.value in (None, ""):
        return None
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
    if not isinstance(value, list | tuple):
        raise ValueError(f"expected a list of host names, got {value!r}")
    hosts: list[str] = []
    for item in value:
        if not isinstance(item, str) or not _HOST_NAME.fullmatch(item.strip()):
            raise ValueError(f"expected a host name such as nas.local, got {item!r}")
        hosts.append(item.strip().lower())
    return tuple(hosts)


DATABASE_SCHEMES = ("sqlite", "postgresql+psycopg")


def redact_password(url: str) -> str:
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
            f"got {redact_password(text)!r}"
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
        raise ValueError(f"expected redis://HOST:PORT/DB, got {redact_password(text)!r}")
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


def _text_list(value: Any) -> list[str]:
    """A YAML list, or a comma-separated string (from the environment)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, list | tuple):
        raise ValueError(f"expected a list, got {value!r}")
    return [str_value(item).strip() for item in value]


def url_list(value: Any) -> tuple[str, ...]:
    """http(s) URLs."""
    urls = _text_list(value)
    for url in urls:
        if not re.match(r"(?i)^https?://[^/\s]+", url):
            raise ValueError(f"expected http(s) URLs, got {url!r}")
    return tuple(urls)


def apprise_urls(value: Any) -> tuple[str, ...]:
    """Apprise URLs (``scheme://…``: mailto://, ntfy://, tgram://, json://…). The message
    never echoes one: they hold tokens."""
    urls = _text_list(value)
    for index, url in enumerate(urls, start=1):
        if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://\S+$", url):
            raise ValueError(
                f"entry {index} is not an Apprise URL (scheme://…, e.g. ntfy://topic or "
                "json://host/path)"
            )
    return tuple(urls)


def allowance(value: Any) -> bool | tuple[str, ...]:
    """``network.allow_private``: true, false, or a list of host names and networks/addresses
    (``nas.local``, ``192.168.1.0/24``, ``fd00::/8``)."""
    if isinstance(value, bool) or not isinstance(value, list | tuple):
        return bool_value(value)
    entries: list[str] = []
    for item in _text_list(value):
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            if not re.fullmatch(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?\.?", item):
                raise ValueError(
                    f"{item!r} is neither a host name nor an address or network "
                    "(e.g. nas.local, 192.168.1.0/24)"
                ) from None
        entries.append(item)
    return tuple(entries)


def redact_url(url: str) -> str:
    """``json://user:token@host/path`` → ``json://***``: an Apprise URL without its secrets."""
    scheme, sep, _rest = url.partition("://")
    return f"{scheme}://***" if sep else "***"


def secret_parts(url: str) -> list[str]:
    """The pieces of an Apprise URL that must never reach a log: everything after the scheme,
    and every long component of it (tokens, passwords, webhook ids)."""
    _scheme, sep, rest = url.partition("://")
    if not sep or not rest:
        return []
    parts = [rest] + [p for p in re.split(r"[/:@?&=#]", rest) if len(p) >= 8]
    return sorted(set(parts), key=len, reverse=True)


def byte_size(value: Any) -> int:
    """``500MB``, ``2GB``, ``1.5 GiB``, or a number of bytes."""
    if isinstance(value, bool):
        raise ValueError(f"expected a size such as 500MB or 2GB, got {value!r}")
    if isinstance(value, int | float):
        return int(value)
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?i?b?)\s*", str(value).lower())
    if not found:
        raise ValueError(f"expected a size such as 500MB or 2GB, got {value!r}")
    unit = found.group(2).rstrip("b").rstrip("i")
    factor = {"": 1, "k": 1e3, "m": 1e6, "g": 1e9, "t": 1e12}[unit]
    if "i" in found.group(2):
        factor = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}[unit]
    return int(float(found.group(1)) * factor)


def clock_time(value: Any) -> str:
    """``09:00``: a time of day, 24-hour clock."""
    text = str_value(value).strip()
    found = re.fullmatch(r"(\d{1,2}):(\d{2})", text)
    if not found or int(found.group(1)) > 23 or int(found.group(2)) > 59:
        raise ValueError(f"expected a time of day such as 09:00, got {value!r}")
    return f"{int(found.group(1)):02d}:{found.group(2)}"


def interval_value(value: Any) -> float:
    """A short pause between two starts: ``0`` (none), ``0.5``, ``1s``, ``2m``; at most 1 hour."""
    seconds = seconds_of(value)
    if not 0 <= seconds <= 3600:
        raise ValueError(f"must be between 0s and 1h, got {value!r}")
    return seconds
