"""The one conversation with yt-dlp: options, log routing, error classification, downloads,
flat listings and YouTube search. No other module imports ``yt_dlp``.

Safety: only http(s) URLs are handed to yt-dlp, file:// stays disabled (yt-dlp's default,
``enable_file_urls``), bare words are never turned into searches (``default_search: error``),
and every chosen format URL is checked again before a byte is fetched.
"""

from __future__ import annotations

import errno
import logging
import subprocess
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from spotsyncd.core.errors import (
    AuthError,
    BotCheckError,
    CancelledError,
    DiskError,
    JobError,
    NetworkDownError,
    PermanentError,
    RateLimitedError,
    TransientError,
    network_down_cause,
)
from spotsyncd.core.models import Candidate, Downloaded, Listing, Progress
from spotsyncd.core.protocols import LinkOf
from spotsyncd.sources.ytdlp.clients import PlayerClients, describe
from spotsyncd.sources.ytdlp.guard import install_address_guard
from spotsyncd.sources.ytdlp.info import (
    candidates_from_info,
    classify_error,
    clean_message,
    feed_image_url,
    is_http_url,
    listing_from_info,
    meta_from_info,
    redact,
    sanitise_info,
)
from spotsyncd.sources.ytdlp.plumbing import Relay, YtDlpLog, error_facts
from spotsyncd.sources.ytdlp.runtime import YtDlpRuntime
from spotsyncd.system.netguard import BLOCKED_PHRASE, AddressPolicy, guarding, refusal_in

__all__ = [
    "YtDlpDownloader",
    "YtDlpSearcher",
    "classify_error",
    "clean_message",
    "listing_from_info",
    "redact",
]

ProgressCallback = Callable[[Progress], None]

# yt-dlp retries the media request once (a blip should not cost a whole job retry); anything
# longer is our worker's backoff, which resumes from the .part file. Extraction requests
# (the first GET of a page or a direct file) are never retried by yt-dlp itself.
_MEDIA_RETRIES = 1
_OUTPUT_NAME = "source.%(ext)s"
_JS_RUNTIME_NAMES = {
    "deno": "deno",
    "node": "node",
    "nodejs": "node",
    "bun": "bun",
    "qjs": "quickjs",
    "quickjs": "quickjs",
}
_FOLLOW_HOPS = 5
_MAX_FEED_BYTES = 20 * 1024 * 1024
_POINTER_TYPES = ("url", "url_transparent")  # yt-dlp's "look there instead" results
_LIST_TYPES = ("playlist", "multi_video")
_NOT_ONE_TRACK = "{url} is a list of items, not one track: it has to be listed, not downloaded"

_BOT_HINT = (
    "YouTube asked to confirm this is not a bot (every set of youtube.player_clients was "
    "tried). Update yt-dlp (pip install -U 'yt-dlp[default]'), set download.cookies_file to a "
    "cookies.txt exported from a browser logged in to YouTube, or run a PO-token provider "
    "(youtube.pot_provider_url); the docs' page 'When YouTube breaks' says how"
)


class YtDlpDownloader:
    """Downloads the best audio of one http(s) URL into a staging folder, and flat-lists
    collections. YoutubeDL is not thread-safe: downloads take one from a pool of idle ones (as
    many as ever ran at once), listings and searches (rare) build a fresh one per call."""

    def __init__(
        self,
        *,
        ffmpeg: Path,
        js_runtime: Path | None,
        link_of: LinkOf,
        cookies_file: Path | None = None,
        timeout_s: float = 60.0,
        cache_dir: Path | None = None,
        logger: logging.Logger | None = None,
        address_policy: AddressPolicy | None = None,
        player_clients: PlayerClients | None = None,
        runtime: YtDlpRuntime | None = None,
    ) -> None:
        # Which yt-dlp runs (switched between jobs after an update: runtime.py).
        self.runtime = runtime or YtDlpRuntime(None)
        self.runtime.on_switch = self._drop_idle
        self.ffmpeg = ffmpeg
        self.js_runtime = js_runtime
        self.link_of = link_of
        self.cookies_file = cookies_file
        self.timeout_s = timeout_s
        self.cache_dir = cache_dir
        self.log = logger or logging.getLogger(__name__)
        # youtube.player_clients and youtube.pot_provider_url, as yt-dlp's extractor arguments
        self.clients = player_clients or PlayerClients()
        self._idle: list[tuple[Any, Relay]] = []  # YoutubeDLs no download uses (_download_ydl)
        self._idle_lock = threading.Lock()
        self._warming = threading.Lock()  # held while warm_up compiles yt-dlp's URL patterns
        # Which internal addresses links may reach (network.allow_private); None: no check.
        self.address_policy = address_policy
        if address_policy is not None:
            install_address_guard()

    # ------------------------------------------------------------------ Downloader protocol

    def download(
        self,
        url: str,
        dest_dir: Path,
        *,
        progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> Downloaded:
        _require_http(url)
        if cancel is not None and cancel.is_set():
            raise CancelledError(f"download of {url} was cancelled before it started")
        dest_dir.mkdir(parents=True, exist_ok=True)
        with self._warming:  # a warm-up under way finishes first: compiling twice costs more
            pass
        state = Progress()

        def on_progress(report: Mapping[str, Any]) -> None:
            # Raising here is how yt-dlp lets a hook stop a transfer; the .part file stays.
            if cancel is not None and cancel.is_set():
                raise _Cancelled
            state.downloaded_bytes = int(report.get("downloaded_bytes") or 0)
            total = report.get("total_bytes") or report.get("total_bytes_estimate")
            state.total_bytes = int(total) if total else None
            state.speed = report.get("speed")
            state.eta = report.get("eta")
            if progress is not None:
                progress(state)

        def guard(info: Mapping[str, Any], *, incomplete: bool = False) -> None:
            if cancel is not None and cancel.is_set():
                raise _Cancelled
            if info.get("playlist_index") is not None:
                raise _Refused(_NOT_ONE_TRACK.format(url=url))
            for chosen in (info, *(info.get("requested_formats") or ())):
                for field in ("url", "manifest_url", "fragment_base_url"):
                    value = chosen.get(field)
                    if value is not None and not is_http_url(value):
                        raise _Refused(f"{url}: yt-dlp chose a non-http(s) media URL")

        with self.runtime.using():  # the yt-dlp in use, switched between downloads
            try:
                info = self._with_clients(url, dest_dir, on_progress, guard, cancel)
            except JobError as exc:
                self.runtime.record(url, exc.error_class)
                raise
            self.runtime.record(url, None)
        if not isinstance(info, dict):
            raise PermanentError(f"{url}: yt-dlp returned nothing to download")
        return Downloaded(
            path=_downloaded_path(info, dest_dir, url),
            info=sanitise_info(info),
            meta=meta_from_info(info),
        )

    def _with_clients(
        self,
        url: str,
        dest_dir: Path,
        on_progress: Callable[[Mapping[str, Any]], None],
        guard: Callable[..., None],
        cancel: threading.Event | None,
    ) -> Any:
        """The download, with each set of player clients in turn while YouTube refuses one."""
        info: Any = None
        sets = self.clients.order() if _is_youtube(url) else [self.clients.order()[0]]
        for number, clients in enumerate(sets, start=1):
            try:
                info = self._attempt(url, dest_dir, on_progress, guard, clients)
            except BotCheckError as exc:
                if number == len(sets) or (cancel is not None and cancel.is_set()):
                    raise
                self.log.warning(
                    "%s: YouTube refused player clients %s (%s); trying %s",
                    redact(url), describe(clients), exc.error_class, describe(sets[number]),
                )  # fmt: skip
                continue
            if len(sets) > 1 and self.clients.worked(clients):
                self.log.warning(
                    "YouTube downloads now ask with player clients %s first (%s worked)",
                    describe(clients), redact(url),
                )  # fmt: skip
            break
        return info

    def _attempt(
        self,
        url: str,
        dest_dir: Path,
        on_progress: Callable[[Mapping[str, Any]], None],
        guard: Callable[..., None],
        clients: tuple[str, ...],
    ) -> Any:
        """One try with one set of player clients; yt-dlp's failures as our JobErrors."""
        errors = self.runtime.errors()
        try:
            try:
                info = self._fetch(url, dest_dir, on_progress, guard, clients)
            except errors as exc:
                if not self._drop_unresumable(exc, dest_dir, url):
                    raise
                info = self._fetch(url, dest_dir, on_progress, guard, clients)
        except _PoTokenMissing as exc:
            raise BotCheckError(f"{url}: {_BOT_HINT}. yt-dlp said: {exc}") from None
        except _Cancelled:
            raise CancelledError(
                f"download of {url} was cancelled; the partial file is kept "
                "and the next attempt resumes it"
            ) from None
        except _Refused as exc:
            raise PermanentError(str(exc)) from None
        except (errors, OSError) as exc:
            raise self._job_error(exc, url) from None
        return info

    def _fetch(
        self,
        url: str,
        dest_dir: Path,
        on_progress: Callable[[Mapping[str, Any]], None],
        guard: Callable[..., None],
        clients: tuple[str, ...],
    ) -> Any:
        with self._download_ydl(dest_dir, on_progress, guard) as ydl:
            ydl.params["extractor_args"] = self.clients.extractor_args(clients)
            logger = ydl.params["logger"]
            logger.pot_warning = None
            try:
                return self._fetch_with(ydl, url)
            except self.runtime.errors() as exc:
                said = clean_message(str(exc))
                status = error_facts(exc)[0]
                # "No video formats found", a 403: the formats that needed the token. An
                # unavailable video stays what it is, whatever was warned before.
                kind = classify_error(said, http_status=status, youtube=True)
                pot = logger.pot_warning is not None and status != 416  # 416: resume trouble
                if pot and kind in (TransientError, BotCheckError):
                    raise _PoTokenMissing(f"{said} ({logger.pot_warning})") from None
                raise

    @staticmethod
    def _fetch_with(ydl: Any, url: str) -> Any:
        # Two steps (what extract_info does inside) so a list is refused before any of its
        # items is fetched; the guard still catches lists reached by a redirect.
        found = ydl.extract_info(url, download=False, process=False)
        if isinstance(found, dict) and found.get("_type") in _LIST_TYPES:
            raise _Refused(_NOT_ONE_TRACK.format(url=url))
        return ydl.process_ie_result(found, download=True)

    def _drop_unresumable(self, exc: BaseException, dest_dir: Path, url: str) -> bool:
        """A ``.part`` the server will not resume (HTTP 416: it holds the whole file, killed
        before yt-dlp renamed it, or a rotated CDN URL serves another size) fails every retry:
        yt-dlp's own recovery asks again without a range but keeps the Range header (its issue
        12994). Remove the partial files so the next try starts from the first byte."""
        parts = list(dest_dir.glob("*.part"))
        if error_facts(exc)[0] != 416 or not parts:
            return False
        for part in parts:
            part.unlink(missing_ok=True)
        self.log.info(
            "%s: the server would not resume the partial download (HTTP 416); starting it again",
            redact(url),
        )
        return True

    def list(self, url: str) -> Listing | None:
        _require_http(url)
        params = {**self._params(), "extract_flat": "in_playlist", "noplaylist": False}
        with self.runtime.using():
            return self._list(url, params)

    def _list(self, url: str, params: dict[str, Any]) -> Listing | None:
        try:
            with self._ydl(params) as ydl:
                info = ydl.extract_info(url, download=False, process=False)
                # A redirect or an embed comes back as a pointer: follow it, still without
                # fetching any item.
                for _ in range(_FOLLOW_HOPS):
                    if not isinstance(info, dict) or info.get("_type") not in _POINTER_TYPES:
                        break
                    _require_http(str(info.get("url")))
                    info = ydl.extract_info(
                        info["url"], download=False, process=False, ie_key=info.get("ie_key")
                    )
                if not isinstance(info, dict) or info.get("_type") not in _LIST_TYPES:
                    return None
                return listing_from_info(
                    info, link_of=self.link_of
                )  # inside: entries may be fetched lazily, by page
        except (self.runtime.errors(), OSError) as exc:
            raise self._job_error(exc, url) from None

    def feed_artwork(self, url: str) -> str | None:
        """The image URL a podcast/RSS feed names for itself (one request; None when ``url``
        is no feed or names none). Asked only when a follow's listing changed."""
        _require_http(url)
        try:
            with (
                self.runtime.using(),
                self._ydl(self._params()) as ydl,
                ydl.urlopen(url) as response,
            ):
                document = response.read(_MAX_FEED_BYTES)
        except (self.runtime.errors(), OSError) as exc:
            self.log.debug("feed artwork of %s not read: %s", url, redact(str(exc)))
            return None
        return feed_image_url(document)

    def warm_up(self) -> None:
        """Pay yt-dlp's one-time costs before the first job does: a generic link is checked
        against every extractor's URL pattern (~1,800, compiled on first use: ~1.5 s of CPU),
        the first download's YoutubeDL is built, and the JS runtime's binary is read once so
        its first real start is quick."""
        with self.runtime.using(), self._warming:  # a download meanwhile waits, not compiles
            from yt_dlp.extractor import gen_extractor_classes

            for extractor in gen_extractor_classes():
                extractor.suitable("https://warm-up.invalid/")
            with self._idle_lock:
                idle = bool(self._idle)
            if not idle:
                try:
                    built = self._build_download_ydl()
                except AuthError as exc:  # the first download says so, as a job error
                    self.log.debug("no YoutubeDL built ahead: %s", exc)
                else:
                    with self._idle_lock:
                        self._idle.append(built)
        if self.js_runtime is not None:
            try:
                subprocess.run([str(self.js_runtime), "--version"], capture_output=True,
                               timeout=30, check=False)  # fmt: skip
            except (OSError, subprocess.SubprocessError) as exc:
                self.log.debug("JS runtime %s did not start: %s", self.js_runtime, exc)

    # ------------------------------------------------------------------ yt-dlp plumbing

    def _params(self) -> dict[str, Any]:
        params: dict[str, Any] = {
            "logger": YtDlpLog(self.log),
            "quiet": True,
            "noprogress": True,
            "color": {"stdout": "no_color", "stderr": "no_color"},
            "consoletitle": False,
            "socket_timeout": self.timeout_s,
            "retries": _MEDIA_RETRIES,
            "fragment_retries": _MEDIA_RETRIES,
            "extractor_retries": 1,
            "skip_unavailable_fragments": False,  # a missing fragment is a hole in the audio
            "continuedl": True,
            "updatetime": False,
            "default_search": "error",  # never turn a non-URL into a YouTube search
            "cachedir": str(self.cache_dir) if self.cache_dir else False,
            "ffmpeg_location": str(self.ffmpeg),
            "extractor_args": self.clients.extractor_args(),
        }
        if self.js_runtime is not None:
            params["js_runtimes"] = js_runtime_param(self.js_runtime)
        return params

    @contextmanager
    def _ydl(self, params: dict[str, Any]) -> Iterator[Any]:
        with guarding(self.address_policy), self.runtime.module().YoutubeDL(params) as ydl:
            self._load_cookies(ydl)
            yield ydl

    def _load_cookies(self, ydl: Any) -> None:
        if self.cookies_file is None:
            return
        # Loaded here rather than passed as ``cookiefile``: yt-dlp writes the jar back to that
        # file on close, and the user's cookie file is not ours to rewrite.
        try:
            ydl.cookiejar.load(str(self.cookies_file))
        except OSError as exc:
            raise AuthError(
                f"download.cookies_file {self.cookies_file} cannot be read "
                f"({exc.strerror or exc}); fix the path or remove the setting"
            ) from None

    @contextmanager
    def _download_ydl(
        self,
        dest_dir: Path,
        on_progress: Callable[[Mapping[str, Any]], None],
        guard: Callable[..., None],
    ) -> Iterator[Any]:
        """An idle YoutubeDL for one download, pointed at this call's folder and hooks.
        Building one costs ~0.1 s of CPU (every extractor registered, an SSL context on its
        first request), a tenth of a song's processing: idle ones are shared by every worker
        thread (yt-dlp is not thread-safe, so one download at a time each), as yt-dlp itself
        reuses one for many URLs; there are never more than downloads ran at once. After any
        error it is closed, not put back."""
        with self._idle_lock:
            kept = self._idle.pop() if self._idle else None
        ydl, relay = kept if kept is not None else self._build_download_ydl()
        ydl.params["paths"] = {"home": str(dest_dir), "temp": str(dest_dir)}
        relay.on_progress, relay.guard = on_progress, guard
        try:
            with guarding(self.address_policy):
                yield ydl
        except BaseException:
            ydl.close()
            raise
        finally:
            relay.on_progress = relay.guard = None
        with self._idle_lock:
            self._idle.append((ydl, relay))

    def _build_download_ydl(self) -> tuple[Any, Relay]:
        relay = Relay()
        params = {
            **self._params(),
            "outtmpl": {"default": _OUTPUT_NAME},
            "format": "bestaudio/best",
            "noplaylist": True,
            "progress_hooks": [relay.progress],
            "match_filter": relay.match,
        }
        ydl = self.runtime.module().YoutubeDL(params)
        try:
            self._load_cookies(ydl)
        except AuthError:
            ydl.close()
            raise
        return ydl, relay

    def _drop_idle(self) -> None:
        """yt-dlp was switched (no call in flight): the idle YoutubeDLs are of the old one."""
        with self._idle_lock:
            idle, self._idle = self._idle, []
        for ydl, _relay in idle:
            ydl.close()

    def _job_error(self, exc: BaseException, url: str) -> JobError:
        status, retry_after, os_errno = error_facts(exc)
        message = clean_message(str(exc))
        if os_errno in (errno.ENOSPC, errno.EROFS, errno.EDQUOT):
            return DiskError(
                f"{url}: cannot write the download ({message}); free space or fix "
                "the staging folder's permissions"
            )
        blocked = _blocked(exc)
        if blocked is not None:
            return PermanentError(f"{url}: {blocked}")
        cause = network_down_cause(exc)
        if cause is not None and status is None:
            host = _netloc(url)
            return NetworkDownError(f"{url}: cannot reach {host}: {cause}", host=host)
        youtube = "youtube" in message.lower() or "youtu" in (_host(url) or "")
        kind = classify_error(message, http_status=status, youtube=youtube)
        if kind is RateLimitedError:
            return RateLimitedError(
                f"{url}: the site says too many requests ({message})",
                retry_after=retry_after,
                service=_host(url) or "",
            )
        if kind is BotCheckError:
            return BotCheckError(f"{url}: {_BOT_HINT}. yt-dlp said: {message}")
        if kind is PermanentError:
            return PermanentError(f"{url} cannot be downloaded: {message}")
        if kind is DiskError:
            return DiskError(f"{url}: cannot write the download ({message})")
        return kind(f"{url}: download failed: {message}")


def js_runtime_param(path: Path) -> dict[str, dict[str, str]]:
    """yt-dlp's ``js_runtimes`` option for the runtime at ``path``."""
    name = _JS_RUNTIME_NAMES.get(path.stem.lower(), "deno")
    return {name: {"path": str(path)}}


def _blocked(exc: BaseException) -> str | None:
    """The address check's refusal, from the exception chain or, where yt-dlp kept only the
    text of the error it wrapped, from that text."""
    refusal = refusal_in(exc)
    if refusal is not None:
        return refusal
    text = str(exc)
    start = text.find(BLOCKED_PHRASE)
    return clean_message(text[start:]) if start >= 0 else None


class YtDlpSearcher:
    """YouTube search through yt-dlp's ``ytsearchN:`` (flat: one request, no per-video pages)."""

    name = "youtube"

    def __init__(self, downloader: YtDlpDownloader) -> None:
        self.downloader = downloader

    def search(self, query: str, *, limit: int = 10) -> list[Candidate]:
        limit = max(1, min(limit, 50))
        params = {**self.downloader._params(), "extract_flat": "in_playlist"}
        term = " ".join(query.split())
        runtime = self.downloader.runtime
        try:
            with runtime.using(), self.downloader._ydl(params) as ydl:
                info = ydl.extract_info(f"ytsearch{limit}:{term}", download=False, process=False)
                return candidates_from_info(info or {}, limit=limit)
        except (runtime.errors(), OSError) as exc:
            raise self.downloader._job_error(exc, "https://www.youtube.com/results") from None


# ------------------------------------------------------------------ helpers


class _Cancelled(Exception):
    """Raised inside yt-dlp's hooks to stop a transfer; never leaves this module."""


class _PoTokenMissing(Exception):
    """yt-dlp failed after warning that a PO token was missing: a bot check by another name."""


class _Refused(Exception):
    """Raised inside yt-dlp's match filter when the media is not something we fetch."""


def _require_http(url: str) -> None:
    if not is_http_url(url):
        raise PermanentError(f"refused to fetch {url[:80]!r}: only http(s) links are downloaded")


def _is_youtube(url: str) -> bool:
    from spotsyncd.sources.ytdlp.youtube_links import is_youtube_host

    return is_youtube_host((_host(url) or "").lower())


def _host(url: str) -> str | None:
    try:
        return urlsplit(url).hostname
    except ValueError:
        return None


def _netloc(url: str) -> str:
    try:
        return urlsplit(url).netloc.rpartition("@")[2] or url
    except ValueError:
        return url


def _downloaded_path(info: Mapping[str, Any], dest_dir: Path, url: str) -> Path:
    downloads = info.get("requested_downloads") or ()
    paths = [d.get("filepath") for d in downloads if isinstance(d, Mapping)]
    found = next((Path(p) for p in paths if isinstance(p, str)), None)
    if found is None:
        raise PermanentError(f"{url}: yt-dlp finished without a file (nothing downloadable)")
    resolved = found.resolve()
    if not resolved.is_relative_to(dest_dir.resolve()) or not resolved.is_file():
        raise TransientError(f"{url}: the download did not land in {dest_dir} as expected")
    return resolved
