"""Split a byte stream of unknown encoding into text lines with bounded memory.

Used for link files, which arrive from anywhere: UTF-8 with or without BOM, UTF-16 with BOM,
``\\n`` / ``\\r\\n`` / ``\\r`` line ends, invalid bytes, or one 50 MB line. Memory stays at one
chunk plus one line of at most ``max_line_chars``; a longer line is skipped while it streams by.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

CHUNK_BYTES = 64 * 1024
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


@dataclass(frozen=True)
class TextLine:
    """One physical line, numbered from 1; ``text`` is None when it exceeded the limit."""

    line_no: int
    text: str | None


def detect_encoding(head: bytes) -> tuple[str, int]:
    """The encoding named by a byte-order mark and the BOM's length; UTF-8 without one."""
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding, len(bom)
    return "utf-8", 0


def iter_text_lines(
    stream: BinaryIO, *, max_line_chars: int, chunk_bytes: int = CHUNK_BYTES
) -> Iterator[TextLine]:
    """Yield every line of ``stream`` (line ends removed); undecodable bytes become U+FFFD."""
    head = stream.read(chunk_bytes)
    encoding, bom_length = detect_encoding(head)
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    splitter = _LineSplitter(max_line_chars)
    chunk: bytes = head[bom_length:]
    while True:
        final = not chunk
        yield from splitter.feed(decoder.decode(chunk, final=final))
        if final:
            yield from splitter.finish()
            return
        chunk = stream.read(chunk_bytes)


class _LineSplitter:
    """Incremental line splitter that forgets the body of over-long lines."""

    def __init__(self, max_line_chars: int) -> None:
        self._max = max_line_chars
        self._pending = ""  # start of the current line (never longer than the limit)
        self._too_long = False  # the current line already went over the limit
        self._after_cr = False  # the last character seen was a "\r" (a "\n" may follow)
        self._line_no = 0

    def feed(self, text: str) -> Iterator[TextLine]:
        if self._after_cr and text.startswith("\n"):
            text = text[1:]  # the second half of a "\r\n" split across two chunks
            self._after_cr = False
        if text:
            self._after_cr = text.endswith("\r")
        start = 0
        while True:
            end = _next_line_end(text, start)
            if end < 0:
                self._append(text[start:])
                return
            self._append(text[start:end])
            yield self._emit()
            start = end + 2 if text.startswith("\r\n", end) else end + 1

    def finish(self) -> Iterator[TextLine]:
        if self._pending or self._too_long:
            yield self._emit()

    def _append(self, piece: str) -> None:
        if self._too_long:
            return
        if len(self._pending) + len(piece) > self._max:
            self._pending, self._too_long = "", True
        else:
            self._pending += piece

    def _emit(self) -> TextLine:
        self._line_no += 1
        line = TextLine(self._line_no, None if self._too_long else self._pending)
        self._pending, self._too_long = "", False
        return line


def _next_line_end(text: str, start: int) -> int:
    """Index of the next "\\n" or "\\r" at or after ``start``, or -1."""
    newline, carriage = text.find("\n", start), text.find("\r", start)
    if newline < 0:
        return carriage
    if carriage < 0:
        return newline
    return min(newline, carriage)
