"""The one conversation with yt-dlp: downloads, flat listings and feed artwork, through a pool of
idle YoutubeDLs. Its parts live beside it: the shared options and hooks (``plumbing.py``), the
player-client sets and their fallback (``clients.py``), yt-dlp's failures as JobErrors
(``failures.py``) and YouTube search (``search.py``). No other module imports ``yt_dlp``.

Safety: only http(s) URLs are handed to yt-dlp, file:// stays disabled (yt-dlp's default,
``enable_file_urls``), bare words are never turned into searches (``default_search: error``),
and every chosen format URL is checked again before a byte is fetched.
"""

from __future__ import annotations

import logging
import subprocess
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

from spotsyncd.core.errors import (
    AuthError,
    BotCheckError,
    CancelledError,
    JobError,
    PermanentError,
    TransientError,
)
from spotsyncd.core.models import Downloaded, Listing, Progress
from spotsyncd.core.protocols import LinkOf
from spotsyncd.sources.ytdlp.clients import PlayerClients
from spotsyncd.sources.ytdlp.failures import (
    BOT_HINT,
    Cancelled,
    PoTokenMissing,
    Refused,
    drop_unresumable,
    host_of,
    job_error,
    require_http,
)
from spotsyncd.sources.ytdlp.guard import install_address_guard
from spotsyncd.sources.ytdlp.info import (
    classify_error,
    clean_message,
    feed_image_url,
    is_http_url,
    listing_from_info,
    meta_from_info,
    redact,
    sanitise_info,
)
from spotsyncd.sources.ytdlp.plumbing import (
    Relay,
    YtDlpLog,
    base_params,
    downloaded_path,
    error_facts,
)
from spotsyncd.sources.ytdlp.runtime import YtDlpRuntime
from spotsyncd.system.netguard import AddressPolicy, guarding

__all__ = [
    "YtDlpDownloader",
    "classify_error",
    "clean_message",
    "listing_from_info",
    "redact",
]

ProgressCallback = Callable[[Progress], None]

_OUTPUT_NAME = "source.%(ext)s"
_FOLLOW_HOPS = 5
_MAX_FEED_BYTES = 20 * 1024 * 1024
_POINTER_TYPES = ("url", "url_transparent")  # yt-dlp's "look there instead" results
_LIST_TYPES = ("playlist", "multi_video")
_NOT_ONE_TRACK = "{url} is a list of items, not one track: it has to be listed, not downloaded"


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
        require_http(url)
        if cancel is not None and cancel.is_set():
            raise CancelledError(f"download of {url} was cancelled before it started")
        dest_dir.mkdir(parents=True, exist_ok=True)
        with self._warming:  # a warm-up under way finishes first: compiling twice costs more
            pass
        state = Progress()

        def on_progress(report: Mapping[str, Any]) -> None:
            # Raising here is how yt-dlp lets a hook stop a transfer; the .part file stays.
            if cancel is not None and cancel.is_set():
                raise Cancelled
            state.downloaded_bytes = int(report.get("downloaded_bytes") or 0)
            total = report.get("total_bytes") or report.get("total_bytes_estimate")
            state.total_bytes = int(total) if total else None
            state.speed = report.get("speed")
            state.eta = report.get("eta")
            if progress is not None:
                progress(state)

        def guard(info: Mapping[str, Any], *, incomplete: bool = False) -> None:
            if cancel is not None and cancel.is_set():
                raise Cancelled
            if info.get("playlist_index") is not None:
                raise Refused(_NOT_ONE_TRACK.format(url=url))
            for chosen in (info, *(info.get("requested_formats") or ())):
                for field in ("url", "manifest_url", "fragment_base_url"):
                    value = chosen.get(field)
                    if value is not None and not is_http_url(value):
                        raise Refused(f"{url}: yt-dlp chose a non-http(s) media URL")

        with self.runtime.using():  # the yt-dlp in use, switched between downloads
            try:
                fetch = partial(self._fetch, url, dest_dir, on_progress, guard)
                info = self.clients.first_that_works(
                    lambda clients: self._attempt(url, dest_dir, partial(fetch, clients)),
                    every=_is_youtube(url), label=redact(url), cancel=cancel, log=self.log,
                )  # fmt: skip
            except JobError as exc:
                self.runtime.record(url, exc.error_class)
                raise
            self.runtime.record(url, None)
        if not isinstance(info, dict):
            raise PermanentError(f"{url}: yt-dlp returned nothing to download")
        return Downloaded(
            path=downloaded_path(info, dest_dir, url),
            info=sanitise_info(info),
            meta=meta_from_info(info),
        )

    def _attempt(self, url: str, dest_dir: Path, fetch: Callable[[], Any]) -> Any:
        """One try with one set of player clients; yt-dlp's failures as our JobErrors."""
        errors = self.runtime.errors()
        try:
            try:
                info = fetch()
            except errors as exc:
                if not drop_unresumable(exc, dest_dir, url, self.log):
                    raise
                info = fetch()
        except PoTokenMissing as exc:
            raise BotCheckError(f"{url}: {BOT_HINT}. yt-dlp said: {exc}") from None
        except Cancelled:
            raise CancelledError(
                f"download of {url} was cancelled; the partial file is kept "
                "and the next attempt resumes it"
            ) from None
        except Refused as exc:
            raise PermanentError(str(exc)) from None
        except (errors, OSError) as exc:
            raise job_error(exc, url) from None
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
                    raise PoTokenMissing(f"{said} ({logger.pot_warning})") from None
                raise

    @staticmethod
    def _fetch_with(ydl: Any, url: str) -> Any:
        # Two steps (what extract_info does inside) so a list is refused before any of its
        # items is fetched; the guard still catches lists reached by a redirect.
        found = ydl.extract_info(url, download=False, process=False)
        if isinstance(found, dict) and found.get("_type") in _LIST_TYPES:
            raise Refused(_NOT_ONE_TRACK.format(url=url))
        return ydl.process_ie_result(found, download=True)

    def list(self, url: str) -> Listing | None:
        require_http(url)
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
                    require_http(str(info.get("url")))
                    info = ydl.extract_info(
                        info["url"], download=False, process=False, ie_key=info.get("ie_key")
                    )
                if not isinstance(info, dict) or info.get("_type") not in _LIST_TYPES:
                    return None
                return listing_from_info(
                    info, link_of=self.link_of
                )  # inside: entries may be fetched lazily, by page
        except (self.runtime.errors(), OSError) as exc:
            raise job_error(exc, url) from None

    def feed_artwork(self, url: str) -> str | None:
        """The image URL a podcast/RSS feed names for itself (one request; None when ``url``
        is no feed or names none). Asked only when a follow's listing changed."""
        require_http(url)
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
        return base_params(
            YtDlpLog(self.log),
            timeout_s=self.timeout_s,
            cache_dir=self.cache_dir,
            ffmpeg=self.ffmpeg,
            js_runtime=self.js_runtime,
            extractor_args=self.clients.extractor_args(),
        )

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


# ------------------------------------------------------------------ helpers


def _is_youtube(url: str) -> bool:
    from spotsyncd.sources.ytdlp.youtube_links import is_youtube_host

    return is_youtube_host((host_of(url) or "").lower())
