"""An enclosure's address without the measurement services that podcast hosts put in front of it
(``dts.podtrac.com/redirect.mp3/…``, ``chtbl.com/track/ID/…``, ``pdst.fm/e/…``, ``op3.dev/e/…``).

A host that adds or swaps such a prefix, or moves its files to another CDN, must not make an
episode look new: the identity of an episode without a GUID is its address with these prefixes,
the query string and the host left out. Pure functions."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# Each pattern matches the prefix to drop; what follows it is the real host and path.
_PREFIXES = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"^https?://(?:www\.|dts\.)?podtrac\.com/(?:pts/)?redirect\.[a-z0-9]+/",
        r"^https?://chtbl\.com/track/[^/]+/",
        r"^https?://(?:www\.)?pdst\.fm/e/",
        r"^https?://op3\.dev/e(?:,[^/]*)?/",
        r"^https?://pfx\.vpixl\.com/[^/]+/",
        r"^https?://(?:verifi\.)?podscribe\.com/rss/p/",
        r"^https?://arttrk\.com/p/[^/]+/",
        r"^https?://claritaspod\.com/measure/",
        r"^https?://mgln\.ai/e/[^/]+/",
        r"^https?://prfx\.byspotify\.com/e/",
        r"^https?://(?:[a-z0-9-]+\.)?blubrry\.com/[^/]+/",
    )
]
# podtrac's older form carries the real address as its query: redirect.mp3?http://host/file
_QUERY_TARGET = re.compile(
    r"^https?://(?:www\.|dts\.)?podtrac\.com/(?:pts/)?redirect\.[a-z0-9]+\?(https?://.+)$",
    re.IGNORECASE,
)


def strip_tracking(url: str) -> str:
    """``url`` with every known tracking prefix removed (they nest: podtrac before chartable)."""
    for _ in range(5):
        target = _QUERY_TARGET.match(url)
        if target:
            url = target.group(1)
            continue
        for prefix in _PREFIXES:
            match = prefix.match(url)
            if match:
                rest = url[match.end() :]
                url = rest if re.match(r"^https?://", rest, re.IGNORECASE) else f"https://{rest}"
                break
        else:
            return url
    return url


# A path segment that is a host name (``cdn.host.fm``, ``127.0.0.1:8080``): a redirect service
# this module does not know carries the real address after its own, as the known ones do.
_HOST_SEGMENT = re.compile(
    r"^(?:(?:[a-z0-9-]+\.)+[a-z]{2,}|\d{1,3}(?:\.\d{1,3}){3}|localhost)(?::\d{1,5})?$",
    re.IGNORECASE,
)


def location_identity(url: str) -> str:
    """What stays the same when a file moves host or gains a tracking prefix: its path, without
    host, query or fragment (``/shows/taverncast-62.mp3``). A path that carries another host's
    address (an unknown redirect service's ``/e/cdn.host.fm/ep.mp3``) counts from after it."""
    parts = urlsplit(strip_tracking(url))
    segments = parts.path.split("/")
    hosts = [i for i, s in enumerate(segments[:-1]) if _HOST_SEGMENT.match(s)]
    if hosts:
        return "/" + "/".join(segments[hosts[-1] + 1 :])
    return parts.path or url
