"""Episode chapters: Podcasting 2.0's JSON chapters file (``podcast:chapters``, fetched by the
caller) and Podlove Simple Chapters inside the feed (``psc:chapter``). Pure functions."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

MAX_CHAPTERS = 500


@dataclass(frozen=True)
class Chapter:
    start_s: float
    title: str
    url: str | None = None
    image_url: str | None = None


def _start(value: object) -> float | None:
    """Seconds from a number or from ``HH:MM:SS(.mmm)``/``MM:SS``/``SS``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and value.strip():
        try:
            seconds = 0.0
            for part in value.strip().split(":"):
                seconds = seconds * 60 + float(part)
        except ValueError:
            return None
    else:
        return None
    return seconds if 0 <= seconds < 100 * 3600 else None


def _ordered(chapters: list[Chapter]) -> list[Chapter]:
    unique = {c.start_s: c for c in reversed(chapters)}  # the first title at a start wins
    return sorted(unique.values(), key=lambda c: c.start_s)[:MAX_CHAPTERS]


def parse_chapters_json(document: bytes) -> list[Chapter]:
    """A ``application/json+chapters`` document; entries with ``toc: false`` are not chapters
    a player lists, and entries without a start or a title are skipped."""
    try:
        data: Any = json.loads(document)
    except (ValueError, RecursionError):
        return []
    items = data.get("chapters") if isinstance(data, dict) else None
    return _chapters(items, start="startTime", link="url", image="img", hidden="toc")


def psc_chapters(entry_chapters: object) -> list[Chapter]:
    """feedparser's ``psc_chapters`` of an entry as chapters."""
    items = entry_chapters.get("chapters") if isinstance(entry_chapters, dict) else None
    return _chapters(items, start="start", link="href", image="image")


def _chapters(
    items: object, *, start: str, link: str, image: str, hidden: str | None = None
) -> list[Chapter]:
    """The chapters of a list of objects whose keys the two formats name differently; an item
    without a start or a title is skipped, and one marked hidden (``toc: false``) too."""
    chapters: list[Chapter] = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict) or (hidden and item.get(hidden) is False):
            continue
        at, title = _start(item.get(start)), item.get("title")
        if at is None or not isinstance(title, str) or not title.strip():
            continue
        url, picture = item.get(link), item.get(image)
        chapters.append(
            Chapter(
                at,
                " ".join(title.split()),
                url if isinstance(url, str) else None,
                picture if isinstance(picture, str) else None,
            )
        )
    return _ordered(chapters)
