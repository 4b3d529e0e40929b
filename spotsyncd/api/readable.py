"""What the dashboard shows for a track before and after its metadata arrives: a label (the
title, else what was typed, else the host and file name, never the raw key) and one short
reason for its last error (the full text stays in the track's detail)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

MAX_REASON = 90


def track_label(key: str, url: str, title: str | None, artist: str | None) -> str:
    """``Artist – Title``; before metadata: a search's typed text, a link's host and file."""
    if title:
        return f"{artist} – {title}" if artist else title
    if key.startswith("search:"):
        typed = parse_qs(urlsplit(url).query).get("q")
        return typed[0] if typed else key.removeprefix("search:")
    parts = urlsplit(url)
    if parts.scheme in ("http", "https") and parts.hostname:
        name = unquote(parts.path.rstrip("/").rsplit("/", 1)[-1])
        host = parts.hostname.removeprefix("www.")
        if name and "." in name or not parts.query:
            return f"{host} · {name}" if name else host
        return f"{host} · {name}?{parts.query}"[:80]
    return key


_REPEATS = re.compile(r"(?P<part>[^;:]{12,}?)(?:[;:,]\s*(?P=part))+")


def short_reason(error: str | None) -> str | None:
    """The first clause of an error, repeats folded, at most ``MAX_REASON`` characters."""
    if not error:
        return None
    text = " ".join(error.split())
    text = _REPEATS.sub(r"\g<part>", text)
    first = re.split(r"(?<=[.;])\s|\s\(|\s—\s", text, maxsplit=1)[0].rstrip(".;,:")
    if len(first) > MAX_REASON:
        first = first[: MAX_REASON - 1].rstrip() + "…"
    return first or None


def readable(data: dict[str, Any]) -> dict[str, Any]:
    """A track's JSON with ``label`` and ``reason`` added."""
    data["label"] = track_label(data["key"], data["url"], data.get("title"), data.get("artist"))
    data["reason"] = short_reason(data.get("error"))
    return data
