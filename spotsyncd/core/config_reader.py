"""Reading what people wrote: the YAML file with the line of every key, and ``.env`` files.

Nothing here knows what a key means; ``config.py`` checks the keys against the models.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from spotsyncd.core.errors import ConfigError

# Sections whose keys are named ``thing.key`` (``sources.youtube.max_concurrent``): a mapping
# under ``thing`` is read as those keys.
NESTED = ("sources",)


@dataclass
class Written:
    """Flat dotted key → (value, line) from the YAML file, and the two lists' entries."""

    values: dict[str, tuple[Any, int | None]] = field(default_factory=dict)
    follows: list[tuple[Any, int | None]] = field(default_factory=list)
    media_servers: list[tuple[Any, int | None]] = field(default_factory=list)


def _node_value(node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null":
        return None  # "key:" with nothing after it (serialising it gives an empty document)
    return yaml.safe_load(yaml.serialize(node))


def _is_null(node: yaml.Node) -> bool:
    return bool(node.tag.endswith(":null"))


def read_yaml(path: Path, sections: Collection[str]) -> Written:
    """The file's keys with their lines: ``section.key`` for the keys of ``sections``."""
    written = Written()
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
        return written
    if not isinstance(root, yaml.MappingNode):
        raise ConfigError("the top level must be a mapping of keys", file=str(path), line=1)
    for key_node, value_node in root.value:
        key = str(key_node.value)
        line = key_node.start_mark.line + 1
        if key in sections:
            if not isinstance(value_node, yaml.MappingNode):
                if _is_null(value_node):
                    continue
                raise ConfigError("must be a mapping", key=key, file=str(path), line=line)
            for sub_key_node, sub_value_node in value_node.value:
                sub_key = f"{key}.{sub_key_node.value}"
                if key in NESTED and isinstance(sub_value_node, yaml.MappingNode):
                    # sources: {youtube: {max_concurrent: 3}} is sources.youtube.max_concurrent
                    for leaf_node, leaf_value in sub_value_node.value:
                        written.values[f"{sub_key}.{leaf_node.value}"] = (
                            _node_value(leaf_value),
                            leaf_node.start_mark.line + 1,
                        )
                    continue
                written.values[sub_key] = (
                    _node_value(sub_value_node),
                    sub_key_node.start_mark.line + 1,
                )
        elif key in ("follows", "media_servers"):
            if _is_null(value_node):
                continue
            if not isinstance(value_node, yaml.SequenceNode):
                raise ConfigError("must be a list", key=key, file=str(path), line=line)
            entries = written.follows if key == "follows" else written.media_servers
            for item in value_node.value:
                entries.append((_node_value(item), item.start_mark.line + 1))
        else:
            written.values[key] = (_node_value(value_node), line)
    return written


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
