"""The MusicBrainz web service (WS/2, JSON): a track's recording by ISRC, else by a search on
artist, title and length; then the recording and release that fit (``choose.py``).

MusicBrainz asks for a meaningful User-Agent with a contact and at most one request per second
per client IP (https://musicbrainz.org/doc/MusicBrainz_API/Rate_Limiting); the budget is
``Service.turn``'s, shared by whoever hands it in.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from spotsyncd.identity.web import NOT_FOUND, Service

# The releases come with their release group (MUSICBRAINZ_RELEASEGROUPID) and every artist
# credit (MUSICBRAINZ_ARTISTID, MUSICBRAINZ_ALBUMARTISTID).
INC = "artist-credits+releases+release-groups"
SEARCH_LIMIT = 10
SEARCH_WINDOW_MS = 10_000


class MusicBrainzClient:
    def __init__(self, service: Service, api_url: str) -> None:
        self.service = service
        self.api_url = api_url.rstrip("/") + "/"

    def by_isrc(self, isrc: str) -> list[dict[str, Any]]:
        """The recordings MusicBrainz lists under ``isrc`` (often several: one per mastering
        or per release it was entered for); [] when it knows none. Raises ``NoAnswer``."""
        code = isrc.strip().upper()
        url = f"{self.api_url}isrc/{quote(code, safe='')}?inc={INC}&fmt=json"
        answer = self.service.fetch(f"isrc:{code}", "GET", url)
        if answer is NOT_FOUND or not isinstance(answer, dict):
            return []
        return [r for r in answer.get("recordings") or [] if isinstance(r, dict)]

    def search(self, artist: str, title: str, duration_s: float | None) -> list[dict[str, Any]]:
        """Recordings found for ``artist`` and ``title`` (and a length within 10 s), best
        first, each with MusicBrainz's ``score`` (0-100). Raises ``NoAnswer``."""
        query = f"recording:{_phrase(title)} AND artist:{_phrase(artist)}"
        if duration_s:
            ms = int(duration_s * 1000)
            query += f" AND dur:[{ms - SEARCH_WINDOW_MS} TO {ms + SEARCH_WINDOW_MS}]"
        params = urlencode({"query": query, "limit": SEARCH_LIMIT, "fmt": "json"})
        answer = self.service.fetch(f"search:{query}", "GET", f"{self.api_url}recording?{params}")
        if answer is NOT_FOUND or not isinstance(answer, dict):
            return []
        return [r for r in answer.get("recordings") or [] if isinstance(r, dict)]


def _phrase(text: str) -> str:
    """A Lucene phrase: quoted, with its own quotes and backslashes escaped."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def credit_names(credit: Any) -> list[str]:
    """The names of an ``artist-credit`` list, with the joined credit as written."""
    if not isinstance(credit, list):
        return []
    names = [str(c.get("name") or (c.get("artist") or {}).get("name") or "") for c in credit
             if isinstance(c, dict)]  # fmt: skip
    joined = "".join(
        str(c.get("name") or "") + str(c.get("joinphrase") or "")
        for c in credit
        if isinstance(c, dict)
    )
    return [n for n in names if n] + ([joined] if joined else [])


def credit_ids(credit: Any) -> tuple[str, ...]:
    if not isinstance(credit, list):
        return ()
    ids = (str((c.get("artist") or {}).get("id") or "") for c in credit if isinstance(c, dict))
    return tuple(i for i in ids if i)
