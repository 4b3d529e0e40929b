"""Bytes to text the way playlist files are really written: UTF-8 (with or without a BOM),
UTF-16 with a BOM, or a legacy 8-bit code page (an ``.m3u`` from an old player is Latin-1)."""

from __future__ import annotations

import codecs

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def decode(data: bytes) -> str:
    """The text of ``data``: a BOM decides, else UTF-8, else Windows-1252 (a superset of the
    printable Latin-1 that old players wrote), else Latin-1, which decodes any byte."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def clean(value: object) -> str | None:
    """A field's text with its spaces tidied, or None when it says nothing."""
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None


def seconds(value: object, *, unit: float = 1.0) -> float | None:
    """A duration field as seconds (``unit`` 0.001 for milliseconds); None when absent, negative
    (``-1``: a stream) or not a number."""
    text = clean(value)
    if text is None:
        return None
    try:
        number = float(text)
    except ValueError:
        return None
    if number <= 0 or number != number or number == float("inf"):
        return None
    return number * unit
