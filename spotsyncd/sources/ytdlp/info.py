"""Read what yt-dlp says: info dicts into our values (TrackMeta, Listing, Candidate, a safe info
subset) and error messages into our error classes.

Pure functions over plain dicts and strings, so they are tested with recorded shapes and no
network. Only :mod:`spotsyncd.sources.ytdlp.client` talks to yt-dlp itself.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from spotsyncd.core.errors import (
    BotCheckError,
    DiskError,
    JobError,
    LinkError,
    PermanentError,
    RateLimitedError,
    TransientError,
)
from spotsyncd.core.models import Candidate, Link, LinkKind, ListedItem, Listing, Source, TrackMeta
from spotsyncd.core.protocols import LinkOf

# The keys of yt-dlp's info dict we keep in the ledger: small, json-serialisable, no URLs that
# carry signatures or cookies (format URLs are left out on purpose).
_KEPT_INFO_KEYS = (
    "id", "extractor_key", "title", "uploader", "channel", "artist", "artists", "album",
    "album_artist", "track", "track_number", "release_date", "release_year", "upload_date",
    "duration", "thumbnail", "webpage_url", "ext", "acodec", "genre",
)  # fmt: skip

_YOUTUBE_ID = re.compile(r"[0-9A-Za-z_-]{11}")
_YOUTUBE_COLLECTION_IES = frozenset({"YoutubeTab", "YoutubePlaylist"})
# The generic extractor's ids are file names, not identities: key its entries by URL instead.
_URL_KEYED_IES = frozenset({"", "Generic"})
# yt-dlp smuggles data (e.g. an RSS guid) into a URL fragment; it is not part of the address.
_SMUGGLE_MARK = "#__youtubedl_smuggle="


def is_http_url(url: object) -> bool:
    if not isinstance(url, str):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def sanitise_info(info: Mapping[str, Any]) -> dict[str, Any]:
    """The json-serialisable subset of ``info`` worth keeping."""
    kept: dict[str, Any] = {}
    for key in _KEPT_INFO_KEYS:
        value = info.get(key)
        if isinstance(value, str | int | float | bool):
            kept[key] = value
        elif isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
            kept[key] = list(value)
    return kept


def meta_from_info(info: Mapping[str, Any]) -> TrackMeta:
    """What yt-dlp's info says about the recording; the explicit music fields win over guesses
    from the video (``track`` over ``title``, ``artists`` over the uploader)."""
    return TrackMeta(
        title=_text(info.get("track")) or _text(info.get("title")),
        artists=artists_from_info(info),
        album=_text(info.get("album")),
        album_artist=_first(info.get("album_artists")) or _text(info.get("album_artist")),
        track_number=_int(info.get("track_number")),
        disc_number=_int(info.get("disc_number")),
        date=_date_from_info(info),
        genre=_first(info.get("genres")) or _text(info.get("genre")),
        duration_s=_float(info.get("duration")),
        source_url=_text(info.get("webpage_url")) or _text(info.get("original_url")),
        cover_url=_best_thumbnail(info),
    )


def artists_from_info(info: Mapping[str, Any]) -> tuple[str, ...]:
    listed = info.get("artists")
    if isinstance(listed, list | tuple):
        names = tuple(n.strip() for n in listed if isinstance(n, str) and n.strip())
        if names:
            return names
    artist = _text(info.get("artist"))
    if artist:
        return tuple(n.strip() for n in artist.split(",") if n.strip())
    # YouTube's auto-generated "Artist - Topic" channels are named after the artist.
    uploader = _text(info.get("channel")) or _text(info.get("uploader"))
    if uploader:
        return (uploader.removesuffix(" - Topic").strip(),)
    return ()


def listing_from_info(info: Mapping[str, Any], *, link_of: LinkOf) -> Listing:
    """A flat playlist result (``_type: playlist`` with url entries) as a Listing.

    ``link_of`` turns an entry's URL into a Link exactly as a pasted link would be (the
    intake's parser, handed in so that sources never import the layer above them)."""
    items: list[ListedItem] = []
    seen: set[str] = set()
    unusable = refused = duplicates = 0
    for entry in _entries(info.get("entries")):
        try:
            item = listed_item_from_entry(entry, link_of=link_of)
        except LinkError:
            refused += 1
            continue
        if item is None:
            unusable += 1
        elif item.link.key in seen:
            duplicates += 1
        else:
            seen.add(item.link.key)
            items.append(item)
    notes = []
    if unusable:
        notes.append(f"skipped {unusable} entries without a usable URL")
    if refused:
        notes.append(f"refused {refused} entries that are not http(s) links")
    if duplicates:
        notes.append(f"dropped {duplicates} repeated entries")
    return Listing(
        title=_text(info.get("title")),
        items=tuple(items),
        fingerprint=fingerprint(item.link.key for item in items),
        notes=tuple(notes),
        image_url=_best_thumbnail(info),  # a YouTube playlist's or channel's own thumbnail
    )


def fingerprint(keys: Iterable[str]) -> str:
    digest = hashlib.sha256()
    for key in keys:
        digest.update(key.encode("utf-8") + b"\n")
    return digest.hexdigest()


def feed_image_url(document: bytes) -> str | None:
    """A podcast/RSS or Atom feed's own image: ``<itunes:image href>``, ``<image><url>``, or
    Atom's ``<logo>``/``<icon>``. yt-dlp's flat listing of a feed leaves it out."""
    import xml.etree.ElementTree as ET

    try:
        root = ET.fromstring(document)
    except ET.ParseError:
        return None
    itunes = "{http://www.itunes.com/dtds/podcast-1.0.dtd}image"
    atom = "{http://www.w3.org/2005/Atom}"
    channel = root.find("channel")
    candidates: list[str | None] = []
    if channel is not None:
        node = channel.find(itunes)
        candidates.append(node.get("href") if node is not None else None)
        candidates.append(channel.findtext("image/url"))
    candidates += [root.findtext(f"{atom}logo"), root.findtext(f"{atom}icon")]
    for url in candidates:
        if url and is_http_url(url.strip()):
            return url.strip()
    return None


def listed_item_from_entry(entry: Mapping[str, Any], *, link_of: LinkOf) -> ListedItem | None:
    """One flat entry as a ListedItem; None when it has no usable URL.

    Raises LinkError when the entry's URL is not an http(s) link we accept."""
    link = _link_from_entry(entry, link_of)
    if link is None:
        return None
    meta = TrackMeta(
        title=_text(entry.get("title")),
        artists=artists_from_info(entry),
        duration_s=_float(entry.get("duration")),
        source_url=link.url,
    )
    return ListedItem(link=link, meta=meta)


def candidates_from_info(info: Mapping[str, Any], *, limit: int) -> list[Candidate]:
    """``ytsearchN:`` flat results as Candidates; channels and playlists are skipped."""
    found: list[Candidate] = []
    for entry in _entries(info.get("entries")):
        video_id = _text(entry.get("id"))
        if entry.get("ie_key") != "Youtube" or not video_id or not _YOUTUBE_ID.fullmatch(video_id):
            continue
        channel = _text(entry.get("channel")) or _text(entry.get("uploader"))
        topic = channel is not None and channel.endswith(" - Topic")
        found.append(
            Candidate(
                video_id=video_id,
                title=_text(entry.get("title")) or "",
                artists=(channel.removesuffix(" - Topic"),) if channel and topic else (),
                channel=channel,
                duration_s=_float(entry.get("duration")),
                views=_int(entry.get("view_count")),
                kind="video",
                provider="youtube",
            )
        )
        if len(found) >= limit:
            break
    return found


# ------------------------------------------------------------------ errors

# Checked in this order; each phrase is lower case with straight apostrophes.
_RATE_LIMIT_PHRASES = ("too many requests", "rate-limited", "rate limited")
_BOT_PHRASES = (
    "confirm you're not a bot", "confirm you are not a bot", "captcha",
    # a proof-of-origin token the client needs was missing or refused
    "po token", "po_token", "potoken", "proof of origin",
)  # fmt: skip
_DISK_PHRASES = ("no space left on device", "read-only file system", "disk quota exceeded")
_PERMANENT_PHRASES = (
    "video unavailable", "private video", "this video is not available", "members-only",
    "members only", "unsupported url", "is not a valid url", "drm protected", "drm",
    "not available in your country", "not made this video available in your country",
    "geo restriction", "geo-restricted", "has been removed", "no longer available",
    "confirm your age", "age-restricted", "age restricted", "inappropriate for some users",
    "account associated with this video has been terminated",
    # a redirect to file:// or another non-http scheme: refused by design, never worth a retry
    "no connection adapters were found", "file:// urls are disabled", "unsupported url scheme",
)  # fmt: skip
_TRANSIENT_PHRASES = (
    "timed out", "timeout", "connection reset", "connection refused", "connection aborted",
    "unable to download", "incompleteread", "incomplete read", "more expected",
    "temporary failure", "temporarily unavailable", "remote end closed", "network is unreachable",
)  # fmt: skip


def classify_error(
    message: str, *, http_status: int | None = None, youtube: bool = False
) -> type[JobError]:
    """Which JobError a yt-dlp failure is. ``youtube`` says the media came from YouTube, where
    a 403 on the media means the session was flagged, not that the file is forbidden."""
    text = message.lower().replace("\u2019", "'")
    status = http_status if http_status is not None else _status_in(text)
    if any(p in text for p in _DISK_PHRASES):
        return DiskError
    if status == 429 or any(p in text for p in _RATE_LIMIT_PHRASES):
        return RateLimitedError
    if any(p in text for p in _BOT_PHRASES):
        return BotCheckError
    if status == 403 and (youtube or "googlevideo" in text):
        return BotCheckError
    if status in (404, 410) or any(p in text for p in _PERMANENT_PHRASES):
        return PermanentError
    if status is not None and 500 <= status <= 599:
        return TransientError
    if any(p in text for p in _TRANSIENT_PHRASES):
        return TransientError
    return TransientError  # unknown: retry with backoff; the attempt cap ends hopeless cases


_LONG_QUERY = re.compile(r"(https?://[^\s?#'\"<>]+)\?[^\s'\"<>]{48,}")
_COOKIE_VALUE = re.compile(r"(?i)\b((?:set-)?cookie['\"]?\s*[:=]\s*)[^\n]+")
_CAUSED_BY = re.compile(r"\s*\(caused by .*\)\s*$", re.S)
_BUG_REPORT = re.compile(r";\s*please report this issue.*$", re.S | re.I)


def redact(text: str) -> str:
    """Drop long query strings (signed media URLs) and cookie values from a message."""
    return _COOKIE_VALUE.sub(r"\1<redacted>", _LONG_QUERY.sub(r"\1?…", text))


def clean_message(text: str) -> str:
    """yt-dlp's error text without its prefixes, noise and secrets, on one line."""
    text = text.replace("\r", "").strip().removeprefix("ERROR: ").strip()
    text = _BUG_REPORT.sub("", _CAUSED_BY.sub("", text))
    return redact(" ".join(text.split()))


def _status_in(text: str) -> int | None:
    found = re.search(r"http error (\d{3})", text)
    return int(found.group(1)) if found else None


# ------------------------------------------------------------------ helpers


def _link_from_entry(entry: Mapping[str, Any], link_of: LinkOf) -> Link | None:
    ie_key = _text(entry.get("ie_key")) or _text(entry.get("extractor_key")) or ""
    entry_id = _text(entry.get("id"))
    if ie_key == "Youtube" and entry_id and _YOUTUBE_ID.fullmatch(entry_id):
        watch = f"https://www.youtube.com/watch?v={entry_id}"
        return Link(
            key=f"youtube:{entry_id}", url=watch, source=Source.YOUTUBE, kind=LinkKind.TRACK
        )
    given = _text(entry.get("url")) or _text(entry.get("webpage_url"))
    if not given:
        return None
    url = given.split(_SMUGGLE_MARK, 1)[0]
    if ie_key in _URL_KEYED_IES or not entry_id:
        # Normalised exactly as a pasted link would be, so the same URL has the same identity.
        link = link_of(url)
        if link.kind == LinkKind.UNKNOWN:
            link = replace(link, kind=LinkKind.TRACK)
        return link
    if not is_http_url(url):
        raise LinkError(f"refused non-http(s) entry URL: {url[:80]}")
    collection = entry.get("_type") == "playlist" or ie_key in _YOUTUBE_COLLECTION_IES
    source = Source.YOUTUBE if ie_key.startswith("Youtube") else Source.GENERIC
    return Link(
        key=f"{ie_key.lower()}:{entry_id}",
        url=url,
        source=source,
        kind=LinkKind.COLLECTION if collection else LinkKind.TRACK,
    )


def _entries(entries: object) -> Iterable[Mapping[str, Any]]:
    if entries is None or isinstance(entries, str | bytes | Mapping):
        return
    for entry in entries:  # type: ignore[attr-defined]
        if isinstance(entry, Mapping):
            yield entry


def _date_from_info(info: Mapping[str, Any]) -> str | None:
    release = _text(info.get("release_date"))
    if release and re.fullmatch(r"\d{8}", release):
        return f"{release[:4]}-{release[4:6]}-{release[6:]}"
    year = info.get("release_year")
    if isinstance(year, int) and 1000 <= year <= 9999:
        return str(year)
    if str(info.get("extractor_key") or info.get("extractor") or "").lower() == "generic":
        # yt-dlp's generic extractor takes a plain file's upload_date from the web server's
        # Last-Modified header: when a file was copied to that server, not when it came out.
        return None
    upload = _text(info.get("upload_date"))
    if upload and re.fullmatch(r"\d{8}", upload):
        return f"{upload[:4]}-{upload[4:6]}-{upload[6:]}"
    return None


def _best_thumbnail(info: Mapping[str, Any]) -> str | None:
    thumbnail = info.get("thumbnail")
    if is_http_url(thumbnail):
        return str(thumbnail)
    thumbnails = info.get("thumbnails")
    if not isinstance(thumbnails, list):
        return None
    # yt-dlp lists thumbnails worst first; "preference" and size break ties when present.
    usable = [t for t in thumbnails if isinstance(t, Mapping) and is_http_url(t.get("url"))]
    if not usable:
        return None
    best = max(
        enumerate(usable),
        key=lambda it: (
            _int(it[1].get("preference")) or 0,
            (_int(it[1].get("width")) or 0) * (_int(it[1].get("height")) or 0),
            it[0],
        ),
    )
    return str(best[1]["url"])


def _text(value: object) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _first(value: object) -> str | None:
    if isinstance(value, list | tuple):
        return next((v.strip() for v in value if isinstance(v, str) and v.strip()), None)
    return None


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _float(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)
