"""Lyrics from LRCLIB (https://lrclib.net): one ``GET /api/get`` per track, by artist, title,
album and duration, and the LRC text format (``[mm:ss.xx] words``) they come in.

A lyrics lookup is a nicety: every failure here is logged and swallowed, never a failed track.
When LRCLIB is unreachable or answers errors, lookups pause for a while instead of costing
every following track a timeout.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from spotsyncd.core.config import Config
from spotsyncd.core.errors import network_down_cause
from spotsyncd.core.models import Lyrics, TrackMeta
from spotsyncd.system.http import ErrorStatus, HttpClient, HttpError, TooLarge

log = logging.getLogger(__name__)

MAX_DURATION_DIFF_S = 2.0
MAX_RESPONSE_BYTES = 2 * 1024 * 1024
PAUSE_AFTER_FAILURE_S = 300.0
LRC_SUFFIX = ".lrc"
_STAMP = re.compile(r"\[(\d{1,3}):(\d{1,2})(?:[.:](\d{1,3}))?\]")
_TAG_LINE = re.compile(r"^\[[a-z]+:.*\]\s*$", re.IGNORECASE)  # [ar:…], [length:…], [offset:…]


class LyricsUnavailable(Exception):
    """LRCLIB could not be asked (network, 5xx, garbage): not the same as "it has none"."""


# ---------------------------------------------------------------------------------------------
# LRC text


def parse_lrc(text: str) -> list[tuple[int, str]]:
    """``[(milliseconds, line), …]`` in time order; a line with several stamps appears once
    per stamp, metadata lines (``[ar:…]``) and lines without a stamp are skipped."""
    lines: list[tuple[int, str]] = []
    for raw in text.splitlines():
        stamps = []
        rest = raw.strip()
        while True:
            match = _STAMP.match(rest)
            if match is None:
                break
            minutes, seconds, fraction = match.groups()
            ms = int((fraction or "0").ljust(3, "0")[:3])
            stamps.append((int(minutes) * 60 + int(seconds)) * 1000 + ms)
            rest = rest[match.end() :]
        lines.extend((ms, rest.strip()) for ms in stamps)
    return sorted(lines, key=lambda item: item[0])


def format_lrc(lines: list[tuple[int, str]]) -> str:
    """The inverse of :func:`parse_lrc`: ``[mm:ss.xx] words`` lines."""
    out = []
    for ms, words in lines:
        minutes, rest = divmod(max(0, ms), 60_000)
        out.append(f"[{minutes:02d}:{rest // 1000:02d}.{(rest % 1000) // 10:02d}] {words}".rstrip())
    return "\n".join(out)


def plain_from_lrc(text: str) -> str:
    """The words of an LRC text without their time stamps (for formats without synced frames)."""
    words = [w for _, w in parse_lrc(text)]
    return "\n".join(words).strip()


def lrc_path_for(audio: Path) -> Path:
    return audio.with_suffix(LRC_SUFFIX)


def write_lrc(audio: Path, synced: str) -> Path:
    """Write ``NAME.lrc`` beside ``audio`` atomically (temp file, fsync, rename)."""
    target = lrc_path_for(audio)
    fd, temp = tempfile.mkstemp(prefix=".spotsyncd-", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(synced.strip() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    return target


# ---------------------------------------------------------------------------------------------
# LRCLIB


class LrclibClient:
    """``GET {api_url}get?artist_name=…&track_name=…&album_name=…&duration=…``.

    LRCLIB answers a JSON record (``id``, ``trackName``, ``artistName``, ``albumName``,
    ``duration``, ``instrumental``, ``plainLyrics``, ``syncedLyrics``) or 404
    ``{"code": 404, "name": "TrackNotFound", …}``.
    """

    def __init__(
        self, api_url: str, *, timeout_s: float = 10.0, http: HttpClient | None = None
    ) -> None:
        if urlsplit(api_url).scheme not in ("http", "https"):
            raise ValueError(f"lyrics.api_url must be an http(s) URL, got {api_url!r}")
        self.api_url = api_url if api_url.endswith("/") else api_url + "/"
        self.http = http or HttpClient(timeout_s=timeout_s)

    def find(self, meta: TrackMeta, duration_s: float) -> Lyrics | None:
        """The lyrics of this recording, or None when LRCLIB has none (or only for a recording
        whose length differs by more than 2 s). Raises :class:`LyricsUnavailable`."""
        if not meta.title or not meta.artists:
            return None
        params = {"artist_name": meta.artists[0], "track_name": meta.title}
        if meta.album:
            params["album_name"] = meta.album
        params["duration"] = str(round(duration_s))
        record = self._get("get?" + urlencode(params))
        if record is None:
            return None
        return _lyrics_from(record, duration_s)

    def _get(self, path: str) -> dict[str, Any] | None:
        try:
            body = self.http.get(
                self.api_url + path,
                headers={"Accept": "application/json"},
                max_bytes=MAX_RESPONSE_BYTES,
            ).body
        except ErrorStatus as exc:
            if exc.status == 404:
                return None
            raise LyricsUnavailable(f"LRCLIB answered HTTP {exc.status}") from None
        except TooLarge:
            raise LyricsUnavailable("LRCLIB's answer is larger than 2 MB") from None
        except HttpError as exc:
            raise LyricsUnavailable(f"LRCLIB unreachable: {exc}") from None
        try:
            data = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise LyricsUnavailable("LRCLIB answered something that is not JSON") from None
        if not isinstance(data, dict):
            raise LyricsUnavailable("LRCLIB answered JSON that is not a record")
        return data


def _lyrics_from(record: dict[str, Any], duration_s: float) -> Lyrics | None:
    theirs = record.get("duration")
    if not isinstance(theirs, int | float) or abs(float(theirs) - duration_s) > MAX_DURATION_DIFF_S:
        log.info(
            "lyrics for '%s' skipped: LRCLIB's recording lasts %ss, ours %.0fs",
            record.get("trackName"),
            theirs,
            duration_s,
        )
        return None
    if record.get("instrumental"):
        return Lyrics(instrumental=True)
    plain = record.get("plainLyrics")
    synced = record.get("syncedLyrics")
    plain = plain.strip() if isinstance(plain, str) and plain.strip() else None
    synced = synced.strip() if isinstance(synced, str) and parse_lrc(synced) else None
    if plain is None and synced is not None:
        plain = plain_from_lrc(synced) or None
    return Lyrics(plain=plain, synced=synced)


# ---------------------------------------------------------------------------------------------
# The pipeline's step


class LyricsStep:
    """Find a track's lyrics and embed them; optionally put an ``.lrc`` beside the filed file.

    ``write_tags`` embeds lyrics into an audio file (the tagger's ``write_lyrics``).
    """

    def __init__(
        self,
        client: LrclibClient,
        write_tags: Callable[[Path, Lyrics], None],
        *,
        lrc_files: bool = False,
        pause_s: float = PAUSE_AFTER_FAILURE_S,
    ) -> None:
        self.client = client
        self.write_tags = write_tags
        self.lrc_files = lrc_files
        self.pause_s = pause_s
        self._paused_until = 0.0
        self._lock = threading.Lock()

    def embed(self, path: Path, meta: TrackMeta, *, duration_s: float | None) -> Lyrics | None:
        """Look up and embed lyrics into ``path`` (a staged file). Never raises."""
        if duration_s is None or time.monotonic() < self._paused_until:
            return None
        track = " – ".join(filter(None, (meta.artist, meta.title))) or path.name  # for the log
        try:
            lyrics = self.client.find(meta, duration_s)
            if lyrics:
                self.write_tags(path, lyrics)
                log.info("%s: lyrics embedded%s", track, " (synced)" if lyrics.synced else "")
            return lyrics
        except LyricsUnavailable as exc:
            with self._lock:
                self._paused_until = time.monotonic() + self.pause_s
            # Out of reach (no network): the source health watch warns once; not each track.
            level = logging.INFO if network_down_cause(exc) else logging.WARNING
            log.log(
                level, "no lyrics for %s: %s; lyrics lookups pause for %d min", track, exc,
                self.pause_s // 60,
            )  # fmt: skip
        except Exception as exc:  # noqa: BLE001 - lyrics must never fail a track
            log.warning("no lyrics for %s: %s", track, exc)
        return None

    def place_beside(self, audio: Path, lyrics: Lyrics | None) -> None:
        """With ``lyrics.lrc_files``: ``NAME.lrc`` beside the filed ``audio``. Never raises."""
        if not self.lrc_files or lyrics is None or not lyrics.synced:
            return
        try:
            write_lrc(audio, lyrics.synced)
        except OSError as exc:
            log.warning("%s: could not write its .lrc file: %s", audio, exc)


def lyrics_step_for(
    config: Config, write_tags: Callable[[Path, Lyrics], None]
) -> LyricsStep | None:
    """The pipeline's lyrics step as ``config.lyrics`` asks (None when turned off)."""
    if not config.lyrics.enabled:
        return None
    timeout_s = min(config.download.timeout_seconds, 15.0)
    client = LrclibClient(config.lyrics.api_url, timeout_s=timeout_s)
    return LyricsStep(client, write_tags, lrc_files=config.lyrics.lrc_files)
