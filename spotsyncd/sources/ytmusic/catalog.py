"""YouTube Music artists and albums through ytmusicapi: an artist's albums and singles, and an
album's tracks with its real title, artists, year, cover and track numbers.

Keys: ``youtube:artist:UC…`` lists the artist's releases as album collections
(``youtube:album:MPREb_…``); an album lists its tracks as ``youtube:VIDEO_ID`` (the same key a
pasted video link gets). ``get_artist`` shows the first releases of each kind and, where there
are more, a pointer (``browseId`` + ``params``) to the full list, read with
``get_artist_albums``. The artist page alone is the release list's identity: a followed artist
costs one request per poll when nothing is new.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from typing import Any

import requests

from spotsyncd.core.errors import LinkError, PermanentError, TransientError
from spotsyncd.core.models import Link, LinkKind, ListedItem, Listing, Source, TrackMeta
from spotsyncd.sources.ytmusic.search import (
    _locale_kept,
    _raise_for_retryable_status,
    _status_in,
    _TimeoutSession,
)

# artist.include → the sections of ytmusicapi's get_artist (YouTube Music has no compilation or
# appears-on shelf on an artist page).
_SECTIONS = {"album": "albums", "single": "singles"}
_MUSIC = "https://music.youtube.com"


class YtMusicCatalog:
    """``list``/``snapshot`` for ``youtube:artist:`` and ``youtube:album:`` keys."""

    def __init__(
        self,
        session: requests.Session | None = None,
        *,
        language: str = "en",
        include: Sequence[str] = ("album", "single"),
    ) -> None:
        self._session = session
        self._language = language
        self._include = tuple(include)
        self._client: Any = None

    def list(self, key: str) -> Listing:
        kind, ident = _parse_key(key)
        if kind == "album":
            return self._album(ident)
        page = self._call("the artist page", ident, lambda c: c.get_artist(ident))
        return self._artist(ident, page)

    def snapshot(self, key: str) -> str | None:
        kind, ident = _parse_key(key)
        if kind != "artist":
            return None
        page = self._call("the artist page", ident, lambda c: c.get_artist(ident))
        return _identity(page, self._include)

    # ------------------------------------------------------------------ artists

    def _artist(self, channel_id: str, page: dict[str, Any]) -> Listing:
        items: list[ListedItem] = []
        seen: set[str] = set()
        counts: list[str] = []
        for group in self._include:
            section = page.get(_SECTIONS.get(group, ""))
            if not isinstance(section, dict):
                continue
            releases = list(self._releases(channel_id, section))
            counts.append(f"{len(releases)} {_SECTIONS[group]}")
            for release in releases:
                item = _album_item(release, page.get("name"))
                if item is not None and item.link.key not in seen:
                    seen.add(item.link.key)
                    items.append(item)
        skipped = [g for g in self._include if g not in _SECTIONS]
        note = f"YouTube Music artist page (ytmusicapi): {', '.join(counts) or 'no releases'}"
        if skipped:
            note += f"; YouTube Music shows no {' or '.join(skipped)} shelf"
        return Listing(
            title=_text(page.get("name")),
            items=tuple(items),
            fingerprint=_identity(page, self._include),
            notes=(note,),
        )

    def _releases(self, channel_id: str, section: dict[str, Any]) -> Iterator[dict[str, Any]]:
        browse_id, params = section.get("browseId"), section.get("params")
        if isinstance(browse_id, str) and isinstance(params, str) and params:
            found = self._call(
                "the artist's releases",
                channel_id,
                lambda c: c.get_artist_albums(browse_id, params, limit=None),
            )
        else:
            found = section.get("results")
        for release in found if isinstance(found, list) else []:
            if isinstance(release, dict) and str(release.get("browseId") or "").startswith("MPRE"):
                yield release

    # ------------------------------------------------------------------ albums

    def _album(self, browse_id: str) -> Listing:
        album = self._call("the album page", browse_id, lambda c: c.get_album(browse_id))
        title = _text(album.get("title"))
        album_artists = _names(album.get("artists"))
        tracks = [t for t in album.get("tracks") or [] if isinstance(t, dict) and t.get("videoId")]
        total = _int(album.get("trackCount")) or len(tracks) or None
        cover = _largest(album.get("thumbnails"))
        items = []
        for position, track in enumerate(tracks, start=1):
            video_id = str(track["videoId"])
            meta = TrackMeta(
                title=_text(track.get("title")),
                artists=_names(track.get("artists")) or album_artists,
                album=title,
                album_artist=", ".join(album_artists) or None,
                track_number=_int(track.get("trackNumber")) or position,
                track_total=total,
                date=_text(album.get("year")),
                duration_s=float(track["duration_seconds"])
                if track.get("duration_seconds")
                else None,
                explicit=track.get("isExplicit")
                if isinstance(track.get("isExplicit"), bool)
                else None,
                source_url=f"{_MUSIC}/watch?v={video_id}",
                cover_url=cover,
            )
            link = Link(f"youtube:{video_id}", f"https://www.youtube.com/watch?v={video_id}",
                        Source.YOUTUBE, LinkKind.TRACK)  # fmt: skip
            items.append(ListedItem(link=link, meta=meta))
        keys = "\n".join(i.link.key for i in items)
        return Listing(
            title=title,
            items=tuple(items),
            fingerprint=hashlib.sha256(keys.encode()).hexdigest(),
            notes=(f"YouTube Music album page (ytmusicapi): {len(items)} tracks",),
        )

    # ------------------------------------------------------------------ ytmusicapi

    def _call(self, what: str, ident: str, call: Any) -> Any:
        try:
            result = call(self._get_client())
        except requests.HTTPError as error:
            status = error.response.status_code if error.response is not None else 0
            if status in (429,) or status >= 500:
                raise TransientError(
                    f"YouTube Music answered {status} for {what} of {ident}"
                ) from error
            raise PermanentError(
                f"YouTube Music has no {what} for {ident} (HTTP {status})"
            ) from error
        except (requests.RequestException, json.JSONDecodeError) as error:
            raise TransientError(
                f"cannot reach YouTube Music for {what} of {ident}: {error}"
            ) from error
        except (KeyError, IndexError, TypeError, AttributeError, ValueError) as error:
            raise PermanentError(
                f"YouTube Music answered {what} of {ident} in a shape ytmusicapi could not read "
                f"({type(error).__name__}); try updating ytmusicapi"
            ) from error
        except Exception as error:  # ytmusicapi's YTMusicServerError carries the HTTP status
            status = _status_in(str(error))
            if status is None:
                raise
            raise PermanentError(
                f"YouTube Music answered HTTP {status} for {what} of {ident}"
            ) from error
        if not isinstance(result, dict | list):
            raise PermanentError(f"YouTube Music gave nothing for {what} of {ident}")
        return result

    def _get_client(self) -> Any:
        if self._client is None:
            from ytmusicapi import YTMusic  # imported late: importing spotsyncd stays cheap

            session = self._session if self._session is not None else _TimeoutSession()
            # ytmusicapi parses the body before looking at the status: make 429/5xx errors first.
            session.hooks["response"].append(_raise_for_retryable_status)
            with _locale_kept():
                self._client = YTMusic(requests_session=session, language=self._language)
        return self._client


def _parse_key(key: str) -> tuple[str, str]:
    parts = key.split(":")
    if len(parts) != 3 or parts[0] != "youtube" or parts[1] not in ("artist", "album"):
        raise LinkError(f"not a YouTube Music artist or album key: {key!r}")
    return parts[1], parts[2]


def _identity(page: dict[str, Any], include: Sequence[str]) -> str:
    """The artist page's releases (and their counts) of the included kinds."""
    parts = []
    for group in include:
        section = page.get(_SECTIONS.get(group, ""))
        if isinstance(section, dict):
            ids = [
                str(r.get("browseId")) for r in section.get("results") or [] if isinstance(r, dict)
            ]
            parts.append(f"{group}:{section.get('params') or ''}:{','.join(ids)}")
    return "ytm-artist:" + hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _album_item(release: dict[str, Any], artist: Any) -> ListedItem | None:
    browse_id = str(release.get("browseId") or "")
    if not browse_id:
        return None
    url = f"{_MUSIC}/browse/{browse_id}"
    name = _text(release.get("title"))
    meta = TrackMeta(
        title=name,
        album=name,
        album_artist=_text(artist),
        date=_text(release.get("year")),
        source_url=url,
        cover_url=_largest(release.get("thumbnails")),
    )
    link = Link(f"youtube:album:{browse_id}", url, Source.YOUTUBE, LinkKind.COLLECTION)
    return ListedItem(link=link, meta=meta)


def _names(artists: Any) -> tuple[str, ...]:
    if not isinstance(artists, list):
        return ()
    return tuple(n for a in artists if isinstance(a, dict) and (n := _text(a.get("name"))))


def _largest(thumbnails: Any) -> str | None:
    if not isinstance(thumbnails, list):
        return None
    sized = [t for t in thumbnails if isinstance(t, dict) and isinstance(t.get("url"), str)]
    if not sized:
        return None
    return str(max(sized, key=lambda t: int(t.get("width") or 0))["url"])


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
