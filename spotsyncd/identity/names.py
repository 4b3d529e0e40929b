"""Comparing titles and artist names across services: lower case, no accents, no punctuation,
no "(Remastered 2011)" or " - Radio Edit" packaging."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_PACKAGING = re.compile(
    r"\s*[\(\[][^\)\]]*(remaster|version|edit|mono|stereo|mix|single|deluxe)[^\)\]]*[\)\]]"
    r"|\s+-\s+.*(remaster|version|edit|mono|stereo|mix).*$",
    re.IGNORECASE,
)
_NOT_WORD = re.compile(r"[^\w]+")


def plain(text: str | None) -> str:
    """``"Thinking Out Loud (2014 Remaster)"`` → ``"thinking out loud"``."""
    if not text:
        return ""
    text = _PACKAGING.sub("", text)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(_NOT_WORD.sub(" ", text.casefold()).split())


def same_title(one: str | None, other: str | None) -> bool:
    a, b = plain(one), plain(other)
    return bool(a) and a == b


def shares_artist(wanted: Iterable[str], credited: Iterable[str]) -> bool:
    """Is the main wanted artist among the credited ones (or inside a joined credit)?"""
    main = next((plain(a) for a in wanted if plain(a)), "")
    if not main:
        return False
    names = [plain(c) for c in credited]
    return any(main == n or f" {main} " in f" {n} " for n in names if n)


def close(one: float | None, other: float | None, tolerance_s: float) -> bool:
    """Both lengths known and within ``tolerance_s``; an unknown length does not disagree."""
    if one is None or other is None:
        return True
    return abs(one - other) <= tolerance_s
