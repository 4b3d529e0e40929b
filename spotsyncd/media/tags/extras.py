"""What podcast episodes add to the tags ``writer`` writes: the description as a comment, and
chapters.

Chapters are written where the format has a standard for them: ID3 (MP3, WAV, AIFF) as CHAP
frames under one ordered top-level CTOC (the ID3v2 Chapter Frame Addendum, which podcast apps
read), and Vorbis comments (Opus, Ogg Vorbis, FLAC) as ``CHAPTER001=HH:MM:SS.mmm`` with
``CHAPTER001NAME`` (the Vorbis chapter extension). M4A chapters live in a track or a Nero
``chpl`` atom that mutagen reads but cannot write, so an M4A keeps its comment only. A track
without chapters leaves whatever chapters the file has alone.
"""

from __future__ import annotations

import re
from typing import Any

from mutagen import id3 as _id3_module

from spotsyncd.media.tags.values import clean_text

id3: Any = _id3_module
_NO_OFFSET = 0xFFFFFFFF  # CHAP: byte offsets unknown, times rule
_VORBIS_CHAPTER = re.compile(r"^CHAPTER(\d{3})$", re.IGNORECASE)
TOC_ID = "toc"

Chapters = tuple[tuple[float, str], ...]


def _clean_chapters(chapters: Chapters, length_s: float | None) -> list[tuple[float, str]]:
    usable = [(s, clean_text(t) or "") for s, t in chapters if s >= 0]
    if length_s:
        usable = [(s, t) for s, t in usable if s < length_s]
    return [(s, t) for s, t in sorted(usable) if t]


# --- ID3 -----------------------------------------------------------------------------------


def write_id3_extras(tags: Any, comment: str | None, chapters: Chapters, length_s: float) -> None:
    utf8 = id3.Encoding.UTF8
    text = clean_text(comment)
    if text:
        for frame in [f for f in tags.getall("COMM") if f.desc == ""]:
            tags.delall(frame.HashKey)
        tags.add(id3.COMM(encoding=utf8, lang="eng", desc="", text=[text]))
    usable = _clean_chapters(chapters, length_s)
    if not usable:
        return
    tags.delall("CHAP")
    tags.delall("CTOC")
    ids = [f"chp{n}" for n in range(len(usable))]
    end_ms = int(length_s * 1000) if length_s else int(usable[-1][0] * 1000) + 1000
    for n, (start, title) in enumerate(usable):
        stop = int(usable[n + 1][0] * 1000) if n + 1 < len(usable) else end_ms
        tags.add(
            id3.CHAP(
                element_id=ids[n], start_time=int(start * 1000), end_time=max(stop, 0),
                start_offset=_NO_OFFSET, end_offset=_NO_OFFSET,
                sub_frames=[id3.TIT2(encoding=utf8, text=[title])],
            )
        )  # fmt: skip
    tags.add(
        id3.CTOC(
            element_id=TOC_ID, flags=id3.CTOCFlags.TOP_LEVEL | id3.CTOCFlags.ORDERED,
            child_element_ids=ids, sub_frames=[id3.TIT2(encoding=utf8, text=["Chapters"])],
        )
    )  # fmt: skip


def read_id3_extras(tags: Any) -> tuple[str | None, Chapters]:
    comments = [str(f.text[0]) for f in tags.getall("COMM") if f.desc == "" and f.text]
    chapters: list[tuple[float, str]] = []
    for frame in tags.getall("CHAP"):
        titles = [str(s.text[0]) for s in frame.sub_frames.getall("TIT2") if s.text]
        if titles:
            chapters.append((frame.start_time / 1000.0, titles[0]))
    return (comments[0] if comments else None), tuple(sorted(chapters))


# --- Vorbis comments -----------------------------------------------------------------------


def _clock(seconds: float) -> str:
    whole_ms = round(seconds * 1000)
    hours, rest = divmod(whole_ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


def _seconds(clock: str) -> float | None:
    try:
        total = 0.0
        for part in clock.strip().split(":"):
            total = total * 60 + float(part)
    except ValueError:
        return None
    return total


def write_vorbis_extras(
    tags: Any, comment: str | None, chapters: Chapters, length_s: float
) -> None:
    text = clean_text(comment)
    if text:
        tags["COMMENT"] = [text]
    usable = _clean_chapters(chapters, length_s)[:999]
    if not usable:
        return
    # A Vorbis comment is a list of (name, value) pairs: keys() gives the names.
    for name in [k for k in tags.keys() if k.upper().startswith("CHAPTER")]:  # noqa: SIM118
        del tags[name]
    for n, (start, title) in enumerate(usable, start=1):
        tags[f"CHAPTER{n:03d}"] = [_clock(start)]
        tags[f"CHAPTER{n:03d}NAME"] = [title]


def read_vorbis_extras(tags: Any) -> tuple[str | None, Chapters]:
    comment = tags.get("COMMENT")
    chapters: list[tuple[float, str]] = []
    for name in tags.keys():  # noqa: SIM118 - iterating gives (name, value) pairs
        match = _VORBIS_CHAPTER.match(name)
        if not match:
            continue
        start = _seconds(str(tags[name][0]))
        title = tags.get(f"{name}NAME")
        if start is not None and title:
            chapters.append((start, str(title[0])))
    return (str(comment[0]) if comment else None), tuple(sorted(chapters))


# --- MP4 atoms ------------------------------------------------------------------------------


def write_mp4_extras(tags: Any, comment: str | None) -> None:
    text = clean_text(comment)
    if text:
        tags["\xa9cmt"] = [text]


def read_mp4_comment(tags: Any) -> str | None:
    values = tags.get("\xa9cmt")
    return str(values[0]) if values else None
