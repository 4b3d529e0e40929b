"""``follows:`` entries: the playlists, albums, channels and feeds the config keeps in sync.

An entry is a URL, or a mapping with url, every, name and options; errors name the key
(``follows.every``, ``follows.options.format``), the file and the entry's line.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import ValidationInfo, model_validator

from spotsyncd.core import config_values as v
from spotsyncd.core.config_fields import (
    OPTIONAL_TEXT,
    TEXT,
    KeyProblem,
    Parse,
    Section,
    duration,
    from_people,
    key,
    keys_of,
    one_of,
    parse_of,
    whole,
)
from spotsyncd.core.config_sections import (
    AUDIO_FORMATS,
    BITRATE,
    NORMALIZE,
    ON_REMOVED,
    TEMPLATE,
)


class FollowOptions(Section):
    """A follow's own settings, over the config's. format, bitrate and normalize may also be
    written as a mapping under audio (``audio: {normalize: "off", format: original}``)."""

    format: Annotated[str | None, one_of(AUDIO_FORMATS)] = key(
        None, "Its tracks' format.", default_text="audio.format"
    )
    bitrate: Annotated[str | None, BITRATE] = key(
        None, "Its tracks' bitrate.", default_text="audio.bitrate"
    )
    subdir: Annotated[str | None, TEXT] = key(None, "A folder inside library_dir for its tracks.")
    on_removed: Annotated[str | None, one_of(ON_REMOVED)] = key(
        None, "What happens to a file when its entry leaves the playlist.", default_text="keep"
    )
    path_template: Annotated[str | None, TEMPLATE] = key(
        None, "Its own path template.", default_text="library.path_template"
    )
    normalize: Annotated[str | None, one_of(NORMALIZE)] = key(
        None,
        "Its tracks' loudness handling (speech often wants off, with format: original). "
        'format, bitrate and normalize may also go in a mapping: audio: {normalize: "off"}.',
        default_text="audio.normalize",
    )
    keep_last: Annotated[int | None, whole(1, 100_000)] = key(
        None,
        "Feeds: keep the newest N episodes; older ones are not fetched, and their files are "
        "removed (only files spotsyncd made that no other follow or link wants).",
        default_text="all",
    )
    since: Annotated[str | None, Parse(v.since, "YYYY-MM-DD | all")] = key(
        None,
        "Feeds: the episodes published on or after this date are fetched; all: the whole "
        "back catalogue. Without it, a new follow fetches the newest 10 and then every new one.",
        default_text="the newest 10",
    )


AUDIO_OVERRIDES = ("format", "bitrate", "normalize")  # also written as options.audio.*


def follow_options(value: Any) -> dict[str, Any]:
    """``follows[].options`` as written: the keys of :class:`FollowOptions`, checked."""
    if not isinstance(value, Mapping):
        raise ValueError("must be a mapping")
    known = FollowOptions.model_fields
    parsed: dict[str, Any] = {}
    audio = value.get("audio")
    if audio is not None:  # ``audio: {normalize: off, format: original}``, as in the config
        if not isinstance(audio, Mapping) or not set(audio) <= set(AUDIO_OVERRIDES):
            raise KeyProblem("audio", f"a mapping of {', '.join(AUDIO_OVERRIDES)}")
        value = {**{k: v for k, v in value.items() if k != "audio"}, **audio}
    for name, item in value.items():
        options = known.get(str(name))
        parse = parse_of(options) if options is not None else None
        if parse is None:
            raise KeyProblem(str(name), f"unknown option (known: {', '.join(known)})")
        try:
            parsed[str(name)] = parse.parser(item)
        except ValueError as exc:
            raise KeyProblem(str(name), str(exc)) from None
    return parsed


def _follow_url(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("each follow needs a url")
    return value.strip()


class FollowConfig(Section):
    """Playlists, albums, channels and feeds to keep in sync: a URL, or a mapping."""

    url: Annotated[str, Parse(_follow_url, "URL")] = key(
        ..., "The playlist, album, channel or feed.", default_text="required"
    )
    every_s: Annotated[int, duration(v.parse_duration, "at least 1m")] = key(
        6 * 3600, "How often it is polled.", unit="seconds", name="every"
    )
    name: Annotated[str | None, OPTIONAL_TEXT] = key(None, "A name for it in status and logs.")
    options: Annotated[Mapping[str, Any], Parse(follow_options, "mapping of options below")] = key(
        default_factory=dict, doc="Its own settings (below)."
    )

    @model_validator(mode="before")
    @classmethod
    def _url_given(cls, data: Any, info: ValidationInfo) -> Any:
        if from_people(info) and isinstance(data, Mapping) and data.get("url") is None:
            raise KeyProblem("url", "each follow needs a url")
        return data


def follow_entry(item: Any) -> dict[str, Any]:
    """One entry as written → field values; KeyProblem names an unknown key."""
    item = {"url": item} if isinstance(item, str) else item
    if not isinstance(item, dict):
        raise KeyProblem(
            "", "each follow must be a URL or a mapping with url, every, name, options"
        )
    fields = {k.name: k.field for k in keys_of(FollowConfig)}
    for name in item:
        if name not in fields:
            raise KeyProblem(str(name), f"unknown follow key (known: {', '.join(fields)})")
    return {fields[name]: value for name, value in item.items()}
