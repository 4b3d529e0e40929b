"""XSPF (XML Shareable Playlist Format, with or without its namespace, prefixed or not) and JSPF,
its JSON form as ListenBrainz writes it (identifiers are MusicBrainz recording URLs; Spotify links
may sit in an ``extension``).

XML is parsed by the standard library's expat (2.4 or newer refuses entity-expansion bombs, and
ElementTree never fetches external entities), so a hostile file costs no more than its size.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

from spotsyncd.intake.playlists.entries import (
    Collection,
    Entry,
    NotAPlaylistError,
    PlaylistFile,
    PlaylistFileError,
)
from spotsyncd.intake.playlists.text import clean, seconds

_RECORDING = re.compile(
    r"musicbrainz\.org/recording/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})",
    re.IGNORECASE,
)
_SPOTIFY = re.compile(
    r"(?:spotify:(track|episode):|open\.spotify\.com/(?:intl-[a-z-]+/)?(track|episode)/)"
    r"([A-Za-z0-9]{22})"
)
_WEB = re.compile(r"^https?://", re.IGNORECASE)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].split(":")[-1]


def _children(element: ET.Element, name: str) -> Iterator[ET.Element]:
    return (child for child in element if _local(child.tag) == name)


def _text(element: ET.Element, name: str) -> str | None:
    for child in _children(element, name):
        return clean(child.text)
    return None


def spotify_uri_in(values: list[str]) -> str | None:
    for value in values:
        match = _SPOTIFY.search(value)
        if match:
            return f"spotify:{match.group(1) or match.group(2)}:{match.group(3)}"
    return None


def recording_in(values: list[str]) -> str | None:
    for value in values:
        match = _RECORDING.search(value)
        if match:
            return match.group(1).lower()
    return None


def _entry(
    position: int,
    *,
    locations: list[str],
    identifiers: list[str],
    title: str | None,
    creator: str | None,
    album: str | None,
    duration: object,
    extras: list[str] = [],  # noqa: B006 - read only
) -> Entry:
    web = next((loc for loc in locations if _WEB.match(loc)), None)
    spotify = spotify_uri_in(locations + identifiers + extras)
    local = next((loc for loc in locations if not _WEB.match(loc)), None)
    return Entry(
        position,
        title=title,
        artists=(creator,) if creator else (),
        album=album,
        duration_s=seconds(duration, unit=0.001),
        spotify_uri=spotify,
        url=None if spotify else web,
        path=None if (spotify or web) else local,
        recording_mbid=recording_in(identifiers),
    )


def read_xspf(data: bytes, name: str | None) -> PlaylistFile:
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise PlaylistFileError(
            f"not well-formed XML ({exc}); is it a complete XSPF file?"
        ) from None
    if _local(root.tag) != "playlist":
        raise NotAPlaylistError(
            f"an XML file whose root is <{_local(root.tag)}>, not an XSPF <playlist>"
        )
    entries: list[Entry] = []
    for tracks in _children(root, "trackList"):
        for position, track in enumerate(_children(tracks, "track"), start=len(entries) + 1):
            entries.append(
                _entry(
                    position,
                    locations=[t for c in _children(track, "location") if (t := clean(c.text))],
                    identifiers=[t for c in _children(track, "identifier") if (t := clean(c.text))],
                    title=_text(track, "title"),
                    creator=_text(track, "creator"),
                    album=_text(track, "album"),
                    duration=_text(track, "duration"),
                )
            )
    return PlaylistFile("XSPF playlist", [Collection(_text(root, "title") or name, entries)])


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []


def _string(track: dict[str, Any], key: str) -> str | None:
    value = track.get(key)
    return clean(value) if isinstance(value, str) else None


def _nested_strings(value: Any, depth: int = 0) -> list[str]:
    if depth > 4:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _nested_strings(v, depth + 1)]
    if isinstance(value, list):
        return [s for v in value for s in _nested_strings(v, depth + 1)]
    return []


def jspf_playlist(document: Any) -> dict[str, Any] | None:
    """The JSPF ``playlist`` object: at the top (``{"playlist": {…}}``) or one level down, as
    ListenBrainz's pages carry it (``{"playlist": {"playlist": {…}}}``)."""
    node = document
    for _ in range(3):
        if not isinstance(node, dict):
            return None
        inner = node.get("playlist")
        if isinstance(inner, dict) and isinstance(inner.get("track"), list):
            return inner
        node = inner
    return None


def read_jspf(document: Any, name: str | None) -> PlaylistFile:
    playlist = jspf_playlist(document)
    if playlist is None:
        raise PlaylistFileError("JSON without a JSPF playlist (a 'playlist' object with 'track')")
    entries: list[Entry] = []
    problems: list[tuple[int, str, str]] = []
    for position, track in enumerate(playlist["track"], start=1):
        if not isinstance(track, dict):
            problems.append((position, str(track)[:80], "a track that is not a JSON object"))
            continue
        entries.append(
            _entry(
                position,
                locations=_strings(track.get("location")),
                identifiers=_strings(track.get("identifier")),
                title=clean(track.get("title")) if isinstance(track.get("title"), str) else None,
                creator=clean(track.get("creator"))
                if isinstance(track.get("creator"), str)
                else None,
                album=clean(track.get("album")) if isinstance(track.get("album"), str) else None,
                duration=track.get("duration"),
                extras=_nested_strings(track.get("extension")),
            )
        )
    title = playlist.get("title")
    return PlaylistFile(
        "JSPF playlist",
        [Collection(clean(title) if isinstance(title, str) else name, entries)],
        problems,
    )
