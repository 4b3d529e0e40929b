"""How a configuration key is declared: once, as a field of its section's model.

A field carries its type (the annotation), how people may write it (a :class:`Parse` in the
annotation: the parser for YAML and environment text, and how the reference describes it),
whether it is a secret (a :class:`Secret` in the annotation) and, through :func:`key`, its
default, unit, one line of help, the names it is also known by and an example. The loader, the
masking in ``config show``/the API/the logs and the generated reference all read these fields.

Parsers run only on what people wrote (``load_config`` validates with the :data:`USER_INPUT`
context); code that builds a section (``AudioConfig(format="flac")``) gives typed values, which
pydantic checks against the annotation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, get_args

from pydantic import BaseModel, ConfigDict, Field, GetCoreSchemaHandler
from pydantic.fields import FieldInfo
from pydantic_core import core_schema

from spotsyncd.core import config_values as v

USER_INPUT = "spotsyncd.user_input"  # the validation context flag: values as people wrote them


class KeyProblem(ValueError):
    """A check across keys found a problem with one of them (``listen``, ``api_key``)."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


def from_people(info: core_schema.ValidationInfo) -> bool:
    """True while ``load_config`` validates what the file and the environment said."""
    return bool(info.context and info.context.get(USER_INPUT))


@dataclass(frozen=True)
class Parse:
    """How a value may be written: ``parser`` turns YAML or environment text into the typed
    value (or raises ValueError in words for the user); ``shape`` says it in the reference;
    ``show`` writes a typed value back the way people write it (a default of 21600 → ``6h``)."""

    parser: Callable[[Any], Any]
    shape: str
    show: Callable[[Any], Any] | None = None

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        parser = self.parser

        def parse(value: Any, info: core_schema.ValidationInfo) -> Any:
            return parser(value) if from_people(info) else value

        return core_schema.with_info_before_validator_function(parse, handler(source))


@dataclass(frozen=True)
class Secret:
    """A secret key: how ``config show`` and the API show it, which parts of it the log
    redactor hides, and what the reference says about it."""

    shown: Callable[[Any], Any]
    parts: Callable[[Any], list[str]]
    note: str


WHOLE = Secret(lambda _value: "***", lambda value: [str(value)], "Secret: shown as ***")
URL_PASSWORD = Secret(
    v.redact_password,
    lambda url: [v.url_password(url) or ""],
    "Secret: the password in it is shown as ***",
)
APPRISE = Secret(
    lambda urls: [v.redact_url(url) for url in urls],
    lambda urls: [part for url in urls for part in v.secret_parts(url)],
    'Secret: shown as "scheme://***"',
)
LOGS_ONLY = Secret(lambda value: value, lambda value: [str(value)], "Kept out of the logs")


def format_duration(seconds: float) -> str:
    """Seconds in the shortest spelling ``seconds_of`` reads back: 21600 → ``6h``, 90 → ``90s``."""
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def format_size(size: int) -> str:
    """Bytes in the spelling ``byte_size`` reads back: 1000000000 → ``1GB``."""
    for unit, factor in (("TB", 10**12), ("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if size >= factor and size % factor == 0:
            return f"{size // factor}{unit}"
    return str(size)


def whole(lo: int, hi: int) -> Parse:
    return Parse(v.int_value(lo, hi), f"whole number, {lo} to {hi}")


def number(lo: float, hi: float) -> Parse:
    return Parse(v.float_value(lo, hi), f"number, {lo:g} to {hi:g}")


def one_of(options: tuple[str, ...]) -> Parse:
    return Parse(v.choice(options), " | ".join(options))


def some_of(options: tuple[str, ...]) -> Parse:
    return Parse(v.choice_list(options), f"list of {', '.join(options)}")


def _durations(values: Any) -> list[str]:
    return [format_duration(x) for x in values]


def duration(parser: Callable[[Any], Any], shape: str) -> Parse:
    return Parse(parser, f"duration ({shape})", format_duration)


BOOL = Parse(v.bool_value, "true | false")
TEXT = Parse(v.str_value, "text")
OPTIONAL_TEXT = Parse(v.optional_str, "text")
HTTP_URL = Parse(v.http_url, "http(s) URL")
PATH = Parse(v.path_value, "path")
OPTIONAL_PATH = Parse(v.optional_path, "path, or empty for none")
DURATIONS = Parse(v.duration_list, "list of durations (at least 1s each), or []", _durations)
BYTES = Parse(v.byte_size, "size (500MB, 2GB, 1.5GiB or bytes)", format_size)

NO_EXAMPLE: Any = object()


def key(
    default: Any = None,
    doc: str = "",
    *,
    unit: str = "",
    name: str = "",
    old: tuple[str, ...] = (),
    env: tuple[str, ...] = (),
    example: Any = NO_EXAMPLE,
    default_text: str = "",
    hidden: bool = False,
    default_factory: Callable[..., Any] | None = None,
) -> Any:
    """A field: its ``default``, one line of help (``doc``), its ``unit``, the YAML ``name``
    when it differs from the attribute, ``old`` names still read (deprecated), classic
    environment variables (``env``), an ``example`` for config.example.yaml, how the default is
    described when it is computed (``default_text``), and ``hidden`` for keys kept for tests
    and left out of the reference."""
    extra: dict[str, Any] = {"unit": unit, "old": list(old), "env": list(env), "hidden": hidden}
    if name:
        extra["name"] = name
    if default_text:
        extra["default_text"] = default_text
    if example is not NO_EXAMPLE:
        extra["example"] = example
    if default_factory is not None:
        return Field(default_factory=default_factory, description=doc, json_schema_extra=extra)
    return Field(default, description=doc, json_schema_extra=extra)


class Section(BaseModel):
    """One section of the configuration: frozen, unknown keys refused."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)
    drop_unset: ClassVar[bool] = False  # redacted(): leave out keys that are not set

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        for name, value in super().__repr_args__():
            info = type(self).model_fields.get(name or "")
            secret = secret_of(info) if info is not None else None
            yield name, secret.shown(value) if secret is not None and value else value


def _extra(info: FieldInfo) -> dict[str, Any]:
    extra = info.json_schema_extra
    return extra if isinstance(extra, dict) else {}


def parse_of(info: FieldInfo) -> Parse | None:
    return next((m for m in info.metadata if isinstance(m, Parse)), None)


def secret_of(info: FieldInfo) -> Secret | None:
    return next((m for m in info.metadata if isinstance(m, Secret)), None)


@dataclass(frozen=True)
class Key:
    """One key as people write it: ``section.name`` (or ``name`` at the top level)."""

    section: str
    field: str
    info: FieldInfo

    @property
    def name(self) -> str:
        return str(_extra(self.info).get("name") or self.field)

    @property
    def dotted(self) -> str:
        return f"{self.section}.{self.name}" if self.section else self.name

    @property
    def old(self) -> tuple[str, ...]:
        prefix = f"{self.section}." if self.section else ""
        return tuple(prefix + name for name in _extra(self.info).get("old", ()))

    @property
    def classic_env(self) -> tuple[str, ...]:
        return tuple(_extra(self.info).get("env", ()))

    @property
    def env(self) -> str:
        return "SPOTSYNCD_" + self.dotted.replace(".", "_").upper()

    @property
    def hidden(self) -> bool:
        return bool(_extra(self.info).get("hidden"))

    @property
    def unit(self) -> str:
        return str(_extra(self.info).get("unit", ""))

    @property
    def is_path(self) -> bool:
        annotation = self.info.annotation
        return annotation is Path or Path in get_args(annotation)

    def extra(self, name: str, default: Any = None) -> Any:
        return _extra(self.info).get(name, default)


def keys_of(model: type[BaseModel], section: str = "") -> list[Key]:
    """The keys of a section's model, in declaration order (sub-sections left out)."""
    found = []
    for field, info in model.model_fields.items():
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            continue
        if _extra(info).get("internal") or parse_of(info) is None:
            continue
        found.append(Key(section, field, info))
    return found


def plain(value: Any) -> Any:
    """Typed values as YAML/JSON-ready data: tuples → lists, paths → text."""
    if isinstance(value, BaseModel):
        return redacted(value)
    if isinstance(value, dict):
        return {k: plain(item) for k, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, Path):
        return str(value)
    return value


def redacted(model: BaseModel) -> dict[str, Any]:
    """A model as plain data, every secret shown as its :class:`Secret` says."""
    data: dict[str, Any] = {}
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        secret = secret_of(info)
        if info.exclude or value is None and isinstance(model, Section) and model.drop_unset:
            continue
        data[name] = plain(secret.shown(value) if secret is not None and value else value)
    return data


def secrets_of(model: BaseModel) -> list[str]:
    """Every secret in a model and the models inside it, for the log redactor."""
    found: list[str] = []
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        secret = secret_of(info)
        if secret is not None and value:
            found += secret.parts(value)
        items = value if isinstance(value, tuple) else (value,)
        for item in items:
            if isinstance(item, BaseModel):
                found += secrets_of(item)
    return found
