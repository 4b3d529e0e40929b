"""Spotify's account data export as it is downloaded: one zip (``my_spotify_data.zip``) holding
``YourLibrary.json``, ``Playlist1.json``… among files that are no library (streaming history,
inferences, payments). Only those members are read, from memory, never unpacked to disk.

A zip can claim anything in its headers, so each member is read with a cap on what it really
gives, and all of them together are held to the cap of one playlist file.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import PurePosixPath

from spotsyncd.intake.playlists.entries import (
    MAX_FILE_BYTES,
    Collection,
    NotAPlaylistError,
    PlaylistFile,
    PlaylistFileError,
)

ZIP_MAGIC = b"PK\x03\x04"
_LIBRARY = re.compile(r"^(YourLibrary|Playlist\d+)\.json$", re.IGNORECASE)
_HISTORY = re.compile(r"(Streaming_?History|endsong)", re.IGNORECASE)


def is_zip(data: bytes) -> bool:
    return data.startswith(ZIP_MAGIC)


def read_export_zip(
    data: bytes, read_json: Callable[[str, str | None], PlaylistFile]
) -> PlaylistFile:
    """The library files of the zip, read by ``read_json`` (text, stem) and joined: their
    collections in the zip's order (``YourLibrary.json`` first), positions numbered on across
    the files so each names one item of the report."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError) as exc:
        raise PlaylistFileError(f"a damaged zip archive ({exc})") from None
    with archive:
        members = [i for i in archive.infolist() if _LIBRARY.match(PurePosixPath(i.filename).name)]
        if not members:
            names = [PurePosixPath(i.filename).name for i in archive.infolist()]
            if any(_HISTORY.search(name) for name in names):
                raise NotAPlaylistError(
                    "a zip of Spotify listening history (plays, not a library); ask Spotify's "
                    "privacy page for the 'Account data' export, which holds YourLibrary.json"
                )
            raise NotAPlaylistError(
                "a zip archive without YourLibrary.json or Playlist1.json (Spotify's account "
                "data export); drop the playlist files themselves instead"
            )
        members.sort(key=lambda i: (not i.filename.lower().endswith("yourlibrary.json"),
                                    _number(i.filename)))  # fmt: skip
        budget = MAX_FILE_BYTES
        joined = PlaylistFile("Spotify account data export (zip)", [])
        offset = 0
        for info in members:
            name = PurePosixPath(info.filename).name
            text = _read_member(archive, info, budget)
            budget -= len(text)
            part = read_json(text, PurePosixPath(name).stem)
            last = offset
            for collection in part.collections:
                entries = [replace(e, position=e.position + offset) for e in collection.entries]
                joined.collections.append(Collection(collection.name, entries))
                last = max([last, *(e.position for e in entries)])
            for position, text_, why in part.problems:
                joined.problems.append((position + offset, f"{name}: {text_}", why))
                last = max(last, position + offset)
            offset = last
    return joined


def _number(filename: str) -> int:
    digits = re.findall(r"\d+", PurePosixPath(filename).name)
    return int(digits[0]) if digits else 0


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int) -> str:
    name = PurePosixPath(info.filename).name
    if info.file_size > budget:
        raise PlaylistFileError(
            f"{name} in the zip is over {MAX_FILE_BYTES // (1024 * 1024)} MiB with the rest; "
            "drop the playlist files themselves instead"
        )
    try:
        with archive.open(info) as stream:
            raw = stream.read(budget + 1)
    except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError, EOFError) as exc:
        # RuntimeError: an encrypted member; NotImplementedError: an unknown compression.
        raise PlaylistFileError(f"{name} in the zip cannot be read ({exc})") from None
    if len(raw) > budget:  # the header lied about its size
        raise PlaylistFileError(f"{name} in the zip is larger than it claims; not read")
    return raw.decode("utf-8-sig", errors="replace")
