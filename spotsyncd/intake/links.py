"""Turn lines of a link file into normalised :class:`~spotsyncd.core.models.Link` values.

Everything here is pure except :func:`open_link_file` / :func:`read_link_file`, which read one file
with bounded memory. Only http(s) links and ``spotify:`` URIs are accepted: a dropped file must
never make the daemon read local files (``file://``, paths) or talk other protocols.
"""

from __future__ import annotations

import errno
import functools
import hashlib
import os
import re
import socket
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from spotsyncd.core.errors import LinkError
from spotsyncd.core.models import Link, LinkKind, Source, TrackMeta
from spotsyncd.intake import search_lines
from spotsyncd.intake.textlines import iter_text_lines
from spotsyncd.sources.share_links import SHORT_LINK_HOSTS, ShortLinkResolver
from spotsyncd.sources.ytdlp.youtube_links import is_youtube_host, youtube_link

MAX_LINE_CHARS = 4096
MAX_LINES = 200_000

_SPOTIFY_ID = re.compile(r"[A-Za-z0-9]{22}")
_SPOTIFY_KINDS = {
    "track": LinkKind.TRACK,
    "album": LinkKind.COLLECTION,
    "playlist": LinkKind.COLLECTION,
    "artist": LinkKind.COLLECTION,  # the artist's releases (artist.include)
}
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_WINDOWS_PATH = re.compile(r"[A-Za-z]:[\\/]|\\\\")
# C0/C1 controls plus the bidi overrides that make a line display differently than it parses.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_SPOTIFY_HOSTS = {"open.spotify.com", "play.spotify.com"}
_TRACKING_PARAMS = {"fbclid", "gclid", "si", "igshid", "mc_cid", "mc_eid"}
_LIKED_WORDS = {"liked", "spotify:liked", "spotify:collection", "spotify:collection:tracks"}
_LIKED = Link(
    key="spotify:liked",
    url="https://open.spotify.com/collection/tracks",
    source=Source.SPOTIFY,
    kind=LinkKind.COLLECTION,
)


class LinkFileError(LinkError):
    """A whole link file cannot be read (not a regular file, symlink, permission, vanished)."""

    error_class = "bad_link_file"


@dataclass(frozen=True)
class LineResult:
    """One non-blank, non-comment line of a link file: either a ``link`` or an ``error``."""

    line_no: int
    text: str
    link: Link | None = None
    error: str | None = None
    meta: TrackMeta | None = None  # what a playlist file says of the track (the matcher's hints)


# ---------------------------------------------------------------------------------------------
# Single links


@functools.cache
def default_short_links() -> ShortLinkResolver:
    """The resolver for Spotify short links used unless a caller passes its own (tests)."""
    return ShortLinkResolver()


def parse_link(text: str, *, short_links: ShortLinkResolver | None = None) -> Link:
    """Parse one link (no line syntax); raise :class:`LinkError` saying why it is refused.

    A Spotify short link (``spotify.link/…``, ``spoti.fi/…``) costs one bounded request per hop
    (see :mod:`spotsyncd.sources.share_links`); everything else is pure."""
    text = text.strip()
    if not text:
        raise LinkError("empty link")
    if len(text) > MAX_LINE_CHARS:
        raise LinkError(f"link is longer than {MAX_LINE_CHARS} characters")
    if _CONTROL.search(text):
        raise LinkError("link contains control or bidi-override characters")
    if any(ch.isspace() for ch in text):
        raise LinkError(f"not a link (contains spaces): {_short(text)}")
    if text.lower() in _LIKED_WORDS:
        return _LIKED
    if text.lower().startswith("spotify:"):
        return _parse_spotify_uri(text)
    if text.startswith("//") and _looks_like_known_host(text[2:]):
        text = "https:" + text  # a protocol-relative YouTube link, as yt-dlp accepts it
    if text.startswith(("/", "~", "./", "../", ".\\")) or _WINDOWS_PATH.match(text):
        raise LinkError(f"local paths are refused, only http(s) links: {_short(text)}")
    scheme = _SCHEME.match(text)
    if scheme is None:
        if _looks_like_known_host(text):
            text = "https://" + text
        else:
            raise LinkError(f"not a link (no http:// or https://): {_short(text)}")
    elif scheme.group(1).lower() not in ("http", "https"):
        raise LinkError(f"'{scheme.group(1)}:' links are refused, only http(s): {_short(text)}")
    return _parse_http(text, short_links)


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _looks_like_known_host(text: str) -> bool:
    host = re.split(r"[/?#]", text, maxsplit=1)[0].lower()
    if host.removeprefix("www.") in _SPOTIFY_HOSTS or host in SHORT_LINK_HOSTS:
        return True
    return "." in host and is_youtube_host(host)


_NUMERIC_HOST = re.compile(r"[0-9a-fA-FxX.]+")


def _canonical_host(host: str, text: str) -> str:
    """The host as the resolver will read it, so one address has one key: IDNA (``127。0。0。1``
    with ideographic dots is ``127.0.0.1``; ``bücher.example`` is ``xn--bcher-kva.example``) and
    IPv4 in its dotted form (``2130706433``, ``0x7f000001`` and ``127.1`` are ``127.0.0.1``)."""
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise LinkError(f"URL has an invalid international host name: {_short(text)}") from None
    if _NUMERIC_HOST.fullmatch(host) and not host.replace(".", "").isalpha():
        try:
            return socket.inet_ntoa(socket.inet_aton(host))
        except OSError:
            return host
    return host


def _parse_http(text: str, short_links: ShortLinkResolver | None) -> Link:
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise LinkError(f"unparseable URL ({exc}): {_short(text)}") from None
    if parts.username is not None or parts.password is not None:
        raise LinkError(f"URLs with a user name or password are refused: {_short(text)}")
    host = _canonical_host((parts.hostname or "").rstrip("."), text)
    if not host:
        raise LinkError(f"URL has no host: {_short(text)}")
    if any(ch in host for ch in "<>\"'`{}|\\^%"):
        raise LinkError(f"URL has an invalid host: {_short(text)}")
    bare_host = host.lower().removeprefix("www.")
    if bare_host in _SPOTIFY_HOSTS:
        return _parse_spotify_path(parts.path, text)
    if bare_host in SHORT_LINK_HOSTS:
        return _short_link(text, short_links or default_short_links())
    if is_youtube_host(host.lower()):  # yt-dlp's own YouTube extractors decide (cached per host)
        youtube = youtube_link(text)
        if youtube is not None:
            return youtube
    return _generic(parts.scheme.lower(), host, port, parts.path, parts.query)


# ---------------------------------------------------------------------------------------------
# Spotify


def _spotify(kind: str, item_id: str, original: str) -> Link:
    if kind not in _SPOTIFY_KINDS:
        raise LinkError(
            f"Spotify {kind!r} links are not supported (only track, album, playlist, artist, "
            f"liked songs): {_short(original)}"
        )
    if not _SPOTIFY_ID.fullmatch(item_id):
        raise LinkError(f"not a valid Spotify {kind} id {item_id!r}: {_short(original)}")
    return Link(
        key=f"spotify:{kind}:{item_id}",
        url=f"https://open.spotify.com/{kind}/{item_id}",
        source=Source.SPOTIFY,
        kind=_SPOTIFY_KINDS[kind],
    )


def _parse_spotify_uri(text: str) -> Link:
    parts = text.split(":")
    parts[0] = "spotify"
    if len(parts) >= 4 and parts[1].lower() == "user":  # legacy spotify:user:NAME:playlist:ID
        parts = ["spotify", *parts[3:]]
        if parts[1:] in (["collection"], ["collection", "tracks"]):
            return _LIKED
    if len(parts) != 3:
        raise LinkError(f"not a Spotify URI (expected spotify:KIND:ID): {_short(text)}")
    return _spotify(parts[1].lower(), parts[2], text)


def _parse_spotify_path(path: str, original: str) -> Link:
    segments = [s for s in path.split("/") if s]
    if segments and re.fullmatch(r"intl-[A-Za-z]{2}(-[A-Za-z]{2})?", segments[0]):
        segments = segments[1:]
    if segments and segments[0] == "embed":
        segments = segments[1:]
    if len(segments) >= 4 and segments[0] == "user":  # legacy /user/NAME/playlist/ID
        segments = segments[2:]
    if segments in (["collection", "tracks"], ["collection"]):
        return _LIKED
    if len(segments) != 2:
        raise LinkError(f"Spotify link not recognised: {_short(original)}")
    return _spotify(segments[0], segments[1], original)


def _short_link(text: str, resolver: ShortLinkResolver) -> Link:
    target = resolver.resolve(text)
    link = parse_link(target)
    if link.source is not Source.SPOTIFY:
        raise LinkError(f"Spotify short link {text} leads to {target}, not to a Spotify link")
    return link


# ---------------------------------------------------------------------------------------------
# Any other http(s) URL


def _generic(scheme: str, host: str, port: int | None, path: str, query: str) -> Link:
    host = host.lower()
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and (scheme, port) not in (("http", 80), ("https", 443)):
        netloc = f"{netloc}:{port}"
    path = quote(path or "/", safe="/%:@!$&'()*+,;=-._~")
    params = sorted(
        (k, v)
        for k, v in parse_qsl(query, keep_blank_values=True)
        if k.lower() not in _TRACKING_PARAMS and not k.lower().startswith("utm_")
    )
    url = urlunsplit((scheme, netloc, path, urlencode(params), ""))
    return Link(key=f"url:{url}", url=url, source=Source.GENERIC, kind=_generic_kind(host, path))


def _generic_kind(host: str, path: str) -> LinkKind:
    segments = [s for s in path.split("/") if s]
    soundcloud = host.removeprefix("www.").removeprefix("m.") == "soundcloud.com"
    if soundcloud and len(segments) == 3 and segments[1] == "sets":
        return LinkKind.COLLECTION
    if host.endswith(".bandcamp.com") and len(segments) == 2:
        return {"album": LinkKind.COLLECTION, "track": LinkKind.TRACK}.get(
            segments[0], LinkKind.UNKNOWN
        )
    return LinkKind.UNKNOWN


# ---------------------------------------------------------------------------------------------
# Line syntax: ``URL``, ``follow URL``, ``SPOTIFY | AUDIO``, trailing `` # comment``


def parse_line(text: str, *, short_links: ShortLinkResolver | None = None) -> Link:
    """Parse one line: ``URL``, ``follow URL``, ``SPOTIFY_TRACK | AUDIO_URL`` (either order),
    or a free-text search ``Artist - Title`` / ``Title by Artist`` (see ``search_lines``).

    A `` # comment`` after whitespace is ignored. Following a single track is refused.
    """
    text = re.sub(r"\s+#.*$", "", text.strip())
    follow = re.fullmatch(r"follow\s+(\S.*)", text, re.IGNORECASE)
    if follow:
        rest = follow.group(1)
        if "|" in rest:
            raise LinkError("'follow' cannot be combined with 'SPOTIFY | AUDIO'")
        link = parse_link(rest, short_links=short_links)
        if link.kind is LinkKind.TRACK:
            raise LinkError(f"cannot follow a single track; follow a playlist or channel: {rest}")
        return Link(link.key, link.url, link.source, link.kind, follow=True)
    if "|" in text:
        return _parse_override(text, short_links)
    try:
        return parse_link(text, short_links=short_links)
    except LinkError:
        if not search_lines.may_be_search(text):
            raise
    return search_lines.search_link(text)


def _parse_override(text: str, short_links: ShortLinkResolver | None) -> Link:
    sides = text.split("|")
    if len(sides) != 2:
        raise LinkError("use exactly one '|': SPOTIFY_TRACK | AUDIO_URL")
    first = parse_link(sides[0], short_links=short_links)
    second = parse_link(sides[1], short_links=short_links)
    spotify = [link for link in (first, second) if link.source is Source.SPOTIFY]
    if len(spotify) != 1:
        raise LinkError("'A | B' needs one Spotify track and one non-Spotify audio URL")
    track = spotify[0]
    audio = second if track is first else first
    if track.kind is not LinkKind.TRACK:
        raise LinkError(f"'A | B' needs a Spotify track, not {track.key}")
    if audio.kind is LinkKind.COLLECTION:
        raise LinkError(f"the audio side of 'A | B' must be one recording, not {audio.key}")
    return Link(track.key, track.url, track.source, track.kind, override_url=audio.url)


# ---------------------------------------------------------------------------------------------
# Link files


def open_link_file(path: Path) -> BinaryIO:
    """Open ``path`` for reading without following a symlink or blocking on a FIFO.

    Raises :class:`LinkFileError` naming the reason when it is not a readable regular file.
    """
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise LinkFileError(f"{path}: {_open_failure(exc)}") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = "a directory" if stat.S_ISDIR(mode) else "not a regular file"
            raise LinkFileError(f"{path}: {kind}; only regular .txt files are read")
        return os.fdopen(fd, "rb", buffering=0)
    except BaseException:
        os.close(fd)
        raise


def _open_failure(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "is a symbolic link; link files must be regular files (symlinks are refused)"
    if exc.errno == errno.ENOENT:
        return "vanished before it could be read"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied; make it readable by the spotsyncd user"
    if exc.errno == errno.ENXIO:
        return "not a regular file (socket or device)"
    return f"cannot be opened: {exc.strerror}"


def read_link_file(
    path: Path,
    *,
    max_line_chars: int = MAX_LINE_CHARS,
    max_lines: int = MAX_LINES,
    short_links: ShortLinkResolver | None = None,
) -> Iterator[LineResult]:
    """Yield a :class:`LineResult` for every link line of ``path``, with bounded memory.

    Blank lines and ``#`` comments are skipped. A line identical in meaning to an earlier one (same
    key, ``follow`` and override) is skipped silently. Past ``max_lines`` physical lines, one error
    result is yielded and reading stops. Raises :class:`LinkFileError` (on first iteration) when the
    file cannot be read at all.
    """
    seen: set[bytes] = set()
    with open_link_file(path) as stream:
        try:
            for line in iter_text_lines(stream, max_line_chars=max_line_chars):
                if line.line_no > max_lines:
                    yield LineResult(
                        line.line_no, "", error=f"more than {max_lines} lines; rest ignored"
                    )
                    return
                result = _line_result(line.line_no, line.text, max_line_chars, short_links)
                if result is None:
                    continue
                if result.link is not None:
                    identity = _identity(result.link)
                    if identity in seen:
                        continue
                    seen.add(identity)
                yield result
        except OSError as exc:
            raise LinkFileError(f"{path}: read failed: {exc.strerror}") from None


def parse_lines(
    texts: Iterable[str],
    *,
    max_line_chars: int = MAX_LINE_CHARS,
    short_links: ShortLinkResolver | None = None,
) -> list[LineResult]:
    """Link lines that arrive as strings (the web API): the same rules as a link file's lines,
    numbered from 1; blank and comment lines give no result, repeats are dropped."""
    results: list[LineResult] = []
    seen: set[bytes] = set()
    for line_no, text in enumerate(texts, start=1):
        for part in text.splitlines() or [""]:
            fitting = part if len(part) <= max_line_chars else None
            result = _line_result(line_no, fitting, max_line_chars, short_links)
            if result is None:
                continue
            if result.link is not None:
                identity = _identity(result.link)
                if identity in seen:
                    continue
                seen.add(identity)
            results.append(result)
    return results


def _line_result(
    line_no: int, text: str | None, max_line_chars: int, short_links: ShortLinkResolver | None
) -> LineResult | None:
    if text is None:
        return LineResult(line_no, "", error=f"line longer than {max_line_chars} characters")
    stripped = text.strip().lstrip("\ufeff")
    if not stripped or stripped.startswith("#"):
        return None
    shown = _short(stripped, 200)
    if "\x00" in stripped:
        return LineResult(line_no, shown, error="line contains NUL bytes (binary file?)")
    if "\ufffd" in stripped:
        return LineResult(line_no, shown, error="line has bytes that are not valid UTF-8")
    try:
        return LineResult(line_no, stripped, link=parse_line(stripped, short_links=short_links))
    except LinkError as exc:
        return LineResult(line_no, shown, error=str(exc))


def _identity(link: Link) -> bytes:
    # A digest instead of the Link keeps memory small even for 200,000 long unique lines.
    text = f"{link.key}\n{link.follow}\n{link.override_url}"
    return hashlib.blake2b(text.encode(), digest_size=16).digest()
