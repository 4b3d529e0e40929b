"""Which format a playlist file is: its content decides, its extension only breaks ties."""

from __future__ import annotations

import json
from pathlib import Path

from spotsyncd.intake.playlists import archive, csv_exports, m3u, spotify_export, xspf
from spotsyncd.intake.playlists.entries import (
    MAX_FILE_BYTES,
    NotAPlaylistError,
    PlaylistFile,
    PlaylistFileError,
)
from spotsyncd.intake.playlists.text import decode

SUFFIXES = (".m3u", ".m3u8", ".pls", ".xspf", ".jspf", ".json", ".csv", ".zip")
KNOWN = (
    "M3U/M3U8, PLS, XSPF, JSPF, CSV exports (Exportify, TuneMyMusic, Google Takeout, "
    "artist,title) and Spotify's account data export (YourLibrary.json, Playlist1.json, or "
    "the zip they come in)"
)


def is_playlist_file_name(name: str) -> bool:
    return name.lower().endswith(SUFFIXES) and not name.startswith((".", "~"))


def read_playlist_file(data: bytes, file_name: str) -> PlaylistFile:
    """Read ``data`` (the bytes of ``file_name``) as whichever playlist format it is.

    Raises :class:`PlaylistFileError` saying why when it is none of them."""
    if len(data) > MAX_FILE_BYTES:
        raise PlaylistFileError(
            f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB; split it into smaller files"
        )
    stem = Path(file_name).stem or None
    suffix = Path(file_name).suffix.lower()
    if archive.is_zip(data):
        return archive.read_export_zip(data, _read_json)
    text = decode(data)
    head = text.lstrip("\ufeff \t\r\n")
    if "\x00" in head[:4096]:
        raise NotAPlaylistError("a binary file, not a playlist")
    if head.startswith("<"):
        return xspf.read_xspf(data, stem)
    if head.startswith(("{", "[")) and suffix not in (".m3u", ".m3u8", ".pls", ".csv"):
        return _read_json(head, stem)
    if head[:10].lower().startswith("[playlist]"):
        return m3u.read_pls(head, stem)
    if head.upper().startswith("#EXTM3U") or suffix in (".m3u", ".m3u8"):
        return m3u.read_m3u(head, stem)
    if csv_exports.looks_like_csv_export(head):
        return csv_exports.read_csv(head, stem)
    raise NotAPlaylistError(f"not a playlist file this daemon reads ({KNOWN})")


def _read_json(text: str, stem: str | None) -> PlaylistFile:
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise PlaylistFileError(f"not valid JSON ({exc})") from None
    if spotify_export.is_playlists(document):
        return spotify_export.read_playlists(document)
    if spotify_export.is_library(document):
        return spotify_export.read_library(document)
    if xspf.jspf_playlist(document) is not None:
        return xspf.read_jspf(document, stem)
    if spotify_export.is_history(document):
        raise NotAPlaylistError(
            "Spotify listening history (plays, not a library); drop YourLibrary.json and "
            "Playlist1.json from the same export instead"
        )
    raise NotAPlaylistError(f"a JSON file that is none of the playlist formats read here ({KNOWN})")
