"""Words for people: counts with the right plural ("1 line refused", "2 lines refused")."""

from __future__ import annotations


def counted(number: int, singular: str, plural: str | None = None) -> str:
    """``number`` and the noun that agrees with it: ``counted(1, "track")`` is "1 track"."""
    noun = singular if number == 1 else (plural or f"{singular}s")
    return f"{number} {noun}"
