"""Spotify's account data export (the privacy page's "Account data" download): ``YourLibrary.json``
(liked songs, saved albums, episodes) and ``Playlist1.json``… (every playlist with its items; the
2025 shape puts each item under ``track``, ``episode``, ``audiobook`` or ``localTrack``).

No API is needed to read the list: names, albums and ``spotify:`` URIs are in the file."""

from __future__ import annotations

from typing import Any

from spotsyncd.intake.playlists.entries import Collection, Entry, PlaylistFile, PlaylistFileError
from spotsyncd.intake.playlists.text import clean

LIKED_SONGS = "Liked Songs"
SAVED_ALBUMS = "Saved Albums"
SAVED_EPISODES = "Saved Episodes"


def _text(item: dict[str, Any], key: str) -> str | None:
    value = item.get(key)
    return clean(value) if isinstance(value, str) else None


def _uri(item: dict[str, Any], key: str, kind: str) -> str | None:
    value = _text(item, key)
    return value if value and value.startswith(f"spotify:{kind}:") else None


def is_library(document: Any) -> bool:
    return (
        isinstance(document, dict)
        and isinstance(document.get("tracks"), list)
        and any(isinstance(t, dict) and "uri" in t for t in document["tracks"][:5])
    )


def is_playlists(document: Any) -> bool:
    return isinstance(document, dict) and isinstance(document.get("playlists"), list)


def is_history(document: Any) -> bool:
    """Streaming history (``StreamingHistory*.json``, ``endsong_*.json``): plays, not a library."""
    if not isinstance(document, list) or not document or not isinstance(document[0], dict):
        return False
    keys = set(document[0])
    return bool(keys & {"msPlayed", "ms_played"}) and bool(keys & {"endTime", "ts"})


def read_library(document: dict[str, Any]) -> PlaylistFile:
    liked = Collection(LIKED_SONGS)
    problems: list[tuple[int, str, str]] = []
    for position, track in enumerate(document.get("tracks") or [], start=1):
        if not isinstance(track, dict):
            problems.append((position, str(track)[:80], "a liked song that is not an object"))
            continue
        artist = _text(track, "artist")
        liked.entries.append(
            Entry(
                position,
                title=_text(track, "track"),
                artists=(artist,) if artist else (),
                album=_text(track, "album"),
                spotify_uri=_uri(track, "uri", "track"),
            )
        )
    # Positions run on across the sections: each names one item of the file in its report.
    first_album = len(document.get("tracks") or []) + 1
    listed = document.get("albums")
    saved: list[Any] = listed if isinstance(listed, list) else []
    albums = _saved(SAVED_ALBUMS, saved, "album", "album", "artist", first_album)
    episodes = _saved(
        SAVED_EPISODES, document.get("episodes"), "episode", "name", "show",
        first_album + len(saved),
    )  # fmt: skip
    collections = [c for c in (liked, albums, episodes) if c.entries]
    return PlaylistFile("Spotify library export", collections, problems)


def _saved(name: str, items: Any, kind: str, title_key: str, by_key: str, first: int) -> Collection:
    """Saved albums or episodes: each is its ``spotify:`` URI, with its title and who made it
    (the artist, or the show, which is also an episode's album)."""
    collection = Collection(name)
    for position, item in enumerate(items if isinstance(items, list) else [], start=first):
        if isinstance(item, dict) and (uri := _uri(item, "uri", kind)):
            title, by = _text(item, title_key), _text(item, by_key)
            collection.entries.append(
                Entry(
                    position,
                    title=title,
                    artists=(by,) if by else (),
                    album=title if kind == "album" else by,
                    spotify_uri=uri,
                )
            )
    return collection


def _playlist_item(position: int, item: Any) -> Entry | str:
    if not isinstance(item, dict):
        return "an item that is not an object"
    track = item.get("track")
    if isinstance(track, dict):
        artist = _text(track, "artistName")
        return Entry(
            position,
            title=_text(track, "trackName"),
            artists=(artist,) if artist else (),
            album=_text(track, "albumName"),
            spotify_uri=_uri(track, "trackUri", "track"),
        )
    episode = item.get("episode")
    if isinstance(episode, dict):
        show = _text(episode, "showName")
        return Entry(
            position,
            title=_text(episode, "episodeName"),
            artists=(show,) if show else (),
            album=show,
            spotify_uri=_uri(episode, "episodeUri", "episode"),
        )
    local = item.get("localTrack")
    if isinstance(local, dict):
        uri = _text(local, "uri") or ""
        return (
            f"a local file of the Spotify app ({uri or 'no name'}): its audio is not in the export"
        )
    if isinstance(item.get("audiobook"), dict):
        return "an audiobook: Spotify's audiobooks cannot be fetched"
    return "an item with no track or episode"


def read_playlists(document: dict[str, Any]) -> PlaylistFile:
    collections: list[Collection] = []
    problems: list[tuple[int, str, str]] = []
    position = 0
    for number, playlist in enumerate(document["playlists"], start=1):
        if not isinstance(playlist, dict):
            problems.append((number, str(playlist)[:80], "a playlist that is not an object"))
            continue
        collection = Collection(_text(playlist, "name") or f"Playlist {number}")
        for item in playlist.get("items") or []:
            position += 1
            result = _playlist_item(position, item)
            if isinstance(result, str):
                problems.append((position, f"{collection.name}: item {position}", result))
            else:
                collection.entries.append(result)
        collections.append(collection)
    if not collections:
        raise PlaylistFileError("a Spotify playlist export with no playlists in it")
    return PlaylistFile("Spotify playlist export", collections, problems)
