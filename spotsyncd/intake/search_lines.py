"""Free-text lines: ``Artist - Title`` or ``Title by Artist`` is a search, not a link.

A search line becomes a :class:`~spotsyncd.core.models.Link` of source ``search`` whose key is the
normalised text (``search:daft punk - veridis quo``), so the same song typed twice, in another
case, with other dashes or as ``Veridis Quo by Daft Punk`` is one track. Its URL is a YouTube
Music search page carrying the text as the user wrote it; the pipeline reads the query back from
it with :func:`query_of_url`. Pure functions, no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import parse_qs, quote, urlsplit

from spotsyncd.core.errors import LinkError
from spotsyncd.core.models import Link, LinkKind, Source
from spotsyncd.matching.text import normalise

SEARCH_URL = "https://music.youtube.com/search?q="
HOW_TO = (
    "write a search as 'Artist - Title' or 'Title by Artist' (e.g. 'Daft Punk - Veridis Quo'), "
    "or paste an http(s) link"
)
MAX_SEARCH_CHARS = 300

# "Artist - Title": a hyphen with spaces around it (so "Jay-Z" stays whole), or an en/em dash.
_DASH = re.compile(r"\s+-{1,2}\s+|\s*[–—]\s*")
_BY = re.compile(r"\s+by\s+", re.IGNORECASE)
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_URL_LIKE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S|://|^www\.", re.IGNORECASE)
_LOCAL_PATH = re.compile(r"^(?:/|~|\./|\.\./|\.\\|[A-Za-z]:[\\/]|\\\\)")


@dataclass(frozen=True)
class SearchQuery:
    """What a free-text line asks for, as the user wrote it (spaces tidied)."""

    artist: str
    title: str

    @property
    def text(self) -> str:
        return f"{self.artist} - {self.title}"

    @property
    def key(self) -> str:
        return f"search:{normalise(self.artist)} - {normalise(self.title)}"


def may_be_search(text: str) -> bool:
    """Whether ``text`` could be meant as a search rather than as a link or a path.

    URL-like text (a scheme, ``://``, ``www.``) and local paths keep the link parser's reason.
    """
    text = text.strip()
    return bool(text) and not _URL_LIKE.search(text) and not _LOCAL_PATH.match(text)


def parse_search(text: str) -> SearchQuery:
    """Split a free-text line into artist and title, or raise :class:`LinkError` saying how."""
    cleaned = " ".join(unicodedata.normalize("NFC", text).split())
    shown = cleaned if len(cleaned) <= 80 else cleaned[:79] + "…"
    if _CONTROL.search(text):
        raise LinkError("search contains control or bidi-override characters")
    if len(cleaned) > MAX_SEARCH_CHARS:
        raise LinkError(f"search is longer than {MAX_SEARCH_CHARS} characters: {shown}")
    dash = _DASH.search(cleaned)
    if dash is not None:
        artist, title = cleaned[: dash.start()], cleaned[dash.end() :]
    else:
        by = list(_BY.finditer(cleaned))
        if not by:
            raise LinkError(f"not a link, and not a search: {shown!r}; {HOW_TO}")
        last = by[-1]  # "Stand by Me by Ben E. King": the last "by" names the artist
        title, artist = cleaned[: last.start()], cleaned[last.end() :]
    artist, title = artist.strip(" -–—"), title.strip(" -–—")
    if not _has_word(artist) or not _has_word(title):
        raise LinkError(f"a search needs both an artist and a title: {shown!r}; {HOW_TO}")
    return SearchQuery(artist=artist, title=title)


def search_link(text: str) -> Link:
    """The ``search:`` link for a free-text line (raises :class:`LinkError` if it is none)."""
    query = parse_search(text)
    return Link(
        key=query.key,
        url=SEARCH_URL + quote(query.text, safe=""),
        source=Source.SEARCH,
        kind=LinkKind.TRACK,
    )


def query_of_url(url: str) -> SearchQuery:
    """The query a search link's URL carries (see :func:`search_link`)."""
    values = parse_qs(urlsplit(url).query).get("q")
    if not values:
        raise LinkError(f"not a search link: {url}")
    return parse_search(values[0])


def _has_word(text: str) -> bool:
    return any(ch.isalnum() for ch in text)
