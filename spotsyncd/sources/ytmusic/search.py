"""YouTube Music search: the only module that imports ``ytmusicapi``.

``YtMusicSearcher.search`` asks for official songs first (``filter="songs"``), then videos
(``filter="videos"``), and maps both to ``Candidate``. When a filtered answer cannot be parsed, or
comes back empty, it asks once without a filter and sorts the results itself by their video type:
ytmusicapi 1.12 drops filtered shelves whose title is not English (a "Titel" shelf for ``hl=de``
never contains "song"), and YouTube changes these shapes without notice.
"""

from __future__ import annotations

import json
import locale
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests

from spotsyncd.core.errors import (
    NetworkDownError,
    RateLimitedError,
    TransientError,
    network_down_cause,
)
from spotsyncd.core.models import Candidate

_SONG_VIDEO_TYPES = {"MUSIC_VIDEO_TYPE_ATV"}  # "Art Track": the audio the label delivered
_WANTED_TYPES = {"song", "video"}
# ytmusicapi's parsers index into YouTube's JSON; a changed shape surfaces as one of these.
_SHAPE_ERRORS = (KeyError, IndexError, TypeError, ValueError, AttributeError)
_MULTIPLIERS = {
    "k": 1e3,
    "tsd": 1e3,
    "m": 1e6,
    "mio": 1e6,
    "mn": 1e6,
    "b": 1e9,
    "mrd": 1e9,
    "bn": 1e9,
}
_VIEWS = re.compile(r"(\d[\d.,\s\u00a0]*)\s*([a-z]+)?", re.IGNORECASE)
DEFAULT_TIMEOUT_S = 20.0


class _TimeoutSession(requests.Session):
    """A session whose requests time out unless told otherwise (requests' default is never)."""

    def request(self, method: str | bytes, url: str | bytes, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("timeout", DEFAULT_TIMEOUT_S)
        return super().request(method, url, **kwargs)


class YtMusicSearcher:
    """``Searcher`` backed by YouTube Music (no account needed)."""

    name = "ytmusic"

    def __init__(self, session: requests.Session | None = None, *, language: str = "en") -> None:
        self._session = session if session is not None else _TimeoutSession()
        # ytmusicapi parses the body before looking at the status; make 429/5xx errors first.
        self._session.hooks["response"].append(_raise_for_retryable_status)
        self._language = language
        self._client: Any = None  # built on first search: it fetches music.youtube.com

    def search(self, query: str, *, limit: int = 10) -> list[Candidate]:
        """Up to ``limit`` songs, then up to ``limit`` videos, without duplicates."""
        unfiltered: list[dict[str, Any]] | None = None
        found: list[Candidate] = []
        for kind in ("song", "video"):
            results = self._filtered(query, f"{kind}s", limit)
            if not results:
                if unfiltered is None:
                    unfiltered = self._call(query, None, limit)
                results = [r for r in unfiltered if _kind_of(r) == kind]
            found.extend(_to_candidates(results, limit))
        seen: set[str] = set()
        unique = []
        for candidate in found:
            if candidate.video_id not in seen:
                seen.add(candidate.video_id)
                unique.append(candidate)
        return unique

    def _filtered(self, query: str, search_filter: str, limit: int) -> list[dict[str, Any]]:
        try:
            return self._call(query, search_filter, limit)
        except TransientError as error:
            if isinstance(error.__cause__, _SHAPE_ERRORS):
                return []  # fall back to the unfiltered search
            raise

    def _call(self, query: str, search_filter: str | None, limit: int) -> list[dict[str, Any]]:
        try:
            client = self._get_client()
            results = client.search(query, filter=search_filter, limit=limit)
        except requests.HTTPError as error:
            raise _http_error(error.response, query) from error
        except (requests.RequestException, json.JSONDecodeError) as error:
            cause = network_down_cause(error)
            if cause is not None:
                raise NetworkDownError(
                    f"YouTube Music search for {query!r}: cannot reach music.youtube.com: {cause}",
                    host="music.youtube.com",
                ) from error
            raise TransientError(f"YouTube Music search for {query!r} failed: {error}") from error
        except _SHAPE_ERRORS as error:
            raise TransientError(
                f"YouTube Music answered {query!r} in a shape ytmusicapi could not read "
                f"({type(error).__name__}: {error}); try updating ytmusicapi"
            ) from error
        except Exception as error:  # ytmusicapi's own YTMusicServerError carries the HTTP status
            status = _status_in(str(error))
            if status is None:
                raise
            raise _status_error(status, query, None) from error
        return [r for r in results if isinstance(r, dict)]

    def _get_client(self) -> Any:
        if self._client is None:
            from ytmusicapi import YTMusic  # imported late: importing spotsyncd stays cheap

            with _locale_kept():
                self._client = YTMusic(requests_session=self._session, language=self._language)
        return self._client


@contextmanager
def _locale_kept() -> Iterator[None]:
    """YTMusic() calls locale.setlocale for the whole process; put it back."""
    saved = locale.setlocale(locale.LC_ALL)
    try:
        yield
    finally:
        locale.setlocale(locale.LC_ALL, saved)


def _kind_of(result: dict[str, Any]) -> str | None:
    result_type = result.get("resultType")
    if result_type not in _WANTED_TYPES:
        return None
    if result.get("videoType") in _SONG_VIDEO_TYPES:
        return "song"
    return str(result_type)


def _to_candidates(results: list[dict[str, Any]], limit: int) -> list[Candidate]:
    candidates = []
    for result in results:
        candidate = to_candidate(result)
        if candidate is not None:
            candidates.append(candidate)
        if len(candidates) >= limit:
            break
    return candidates


def to_candidate(result: dict[str, Any]) -> Candidate | None:
    """One ytmusicapi search result as a Candidate (None for albums, artists, episodes...)."""
    kind = _kind_of(result)
    video_id = result.get("videoId")
    if kind is None or not video_id or result.get("isAvailable") is False:
        return None
    artists = tuple(
        str(artist["name"])
        for artist in result.get("artists") or ()
        if isinstance(artist, dict) and artist.get("name")
    )
    album = result.get("album")
    duration = result.get("duration_seconds")
    explicit = result.get("isExplicit")
    return Candidate(
        video_id=str(video_id),
        title=str(result.get("title") or ""),
        artists=artists,
        # A video's "artist" is its uploading channel.
        channel=artists[0] if kind == "video" and artists else None,
        album=str(album["name"]) if isinstance(album, dict) and album.get("name") else None,
        duration_s=float(duration) if isinstance(duration, int | float) else None,
        kind=kind,
        explicit=explicit if isinstance(explicit, bool) else None,
        views=parse_views(result.get("views")),
        provider="ytmusic",
        year=_year(result.get("year")),
        cover_url=largest_thumbnail(result.get("thumbnails")),
    )


def _year(value: object) -> str | None:
    text = str(value).strip() if isinstance(value, str | int) else ""
    return text if re.fullmatch(r"(?:1[89]|20)\d\d", text) else None


def largest_thumbnail(thumbnails: object) -> str | None:
    """The URL of the widest of ``[{"url", "width", "height"}, ...]`` (None if there is none)."""
    if not isinstance(thumbnails, list):
        return None
    best: tuple[int, str] | None = None
    for thumb in thumbnails:
        if not isinstance(thumb, dict) or not isinstance(thumb.get("url"), str):
            continue
        width = thumb.get("width")
        size = width if isinstance(width, int) else 0
        if best is None or size >= best[0]:
            best = (size, thumb["url"])
    return best[1] if best else None


def parse_views(text: object) -> int | None:
    """'1.2M' -> 1200000, '1,2 Mio.' -> 1200000, '32.894' -> 32894, '3701 Wiedergaben' -> 3701."""
    if isinstance(text, int):
        return text
    if not isinstance(text, str):
        return None
    match = _VIEWS.search(text.replace("\u00a0", " "))
    if not match:
        return None
    number, suffix = match.group(1).strip().replace(" ", ""), (match.group(2) or "").lower()
    multiplier = _MULTIPLIERS.get(suffix.rstrip("."))
    if multiplier is None:  # no multiplier: every separator groups thousands
        digits = re.sub(r"\D", "", number)
        return int(digits) if digits else None
    # With a multiplier the last separator is the decimal point ("1.2M", "1,2 Mio.").
    number = number.rstrip(".,")
    head, _, tail = number.replace(",", ".").rpartition(".")
    whole = re.sub(r"\D", "", head) + ("." + tail if head else tail)
    try:
        return int(float(whole) * multiplier)
    except ValueError:
        return None


def _raise_for_retryable_status(response: requests.Response, *args: Any, **kwargs: Any) -> None:
    if response.status_code == 429 or response.status_code >= 500:
        response.raise_for_status()


def _status_in(message: str) -> int | None:
    match = re.search(r"HTTP (\d{3})", message)
    return int(match.group(1)) if match else None


def _http_error(response: requests.Response | None, query: str) -> TransientError:
    status = response.status_code if response is not None else 0
    retry_after = response.headers.get("Retry-After") if response is not None else None
    return _status_error(status, query, retry_after)


def _status_error(status: int, query: str, retry_after: str | None) -> TransientError:
    if status == 429:
        seconds = float(retry_after) if retry_after and retry_after.isdigit() else None
        return RateLimitedError(
            f"YouTube Music rate-limited the search for {query!r} (HTTP 429)",
            retry_after=seconds,
            service="ytmusic",
        )
    return TransientError(f"YouTube Music search for {query!r} failed with HTTP {status}")
