"""Polling one follow: ask the source what it lists now, cheaply, and record the difference.

A poll never downloads. It writes new tracks to the ledger and wakes the workers; it rewrites the
follow's ``.m3u8``; with ``on_removed: delete`` it deletes files nothing wants any more. Cheap
change detection keeps an unchanged follow at one request per poll: a Spotify playlist's
``snapshot_id`` (one small request), otherwise the content fingerprint of the flat listing.
Errors never leave ``poll``: they are recorded on the follow with a back-off that grows per
follow (60 s, 120 s, … up to the follow's interval), so one failing follow never delays others.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol
from urllib.parse import urlsplit

from spotsyncd.core.errors import (
    DeferredError,
    PermanentError,
    RateLimitedError,
    SpotsyncError,
    log_problem,
)
from spotsyncd.core.models import Listing
from spotsyncd.core.protocols import FeedReader
from spotsyncd.core.wording import counted
from spotsyncd.follows.episodes import (
    held_back,
    is_episode_key,
    is_episode_listing,
    rule_names,
)
from spotsyncd.follows.pruning import LibraryPruner, PruneLedger
from spotsyncd.ledger.follows.rows import DiffResult, FollowRow, FollowTrack
from spotsyncd.sources.ytdlp.youtube_links import is_youtube_host

log = logging.getLogger(__name__)

FIRST_BACKOFF_S = 60.0


class SnapshotSource(Protocol):
    """Spotify: ``sources.spotify.SpotifySource`` has these."""

    def snapshot(self, key: str) -> str | None:
        """A playlist's snapshot id in one request; None when it cannot be known."""
        ...

    def list(self, key: str) -> Listing: ...


class FlatLister(Protocol):
    """Anything yt-dlp lists: ``download.YtDlpDownloader`` has this."""

    def list(self, url: str) -> Listing | None:
        """A flat listing (one request for a feed or one page); None for a single item."""
        ...


class FollowLedger(PruneLedger, Protocol):
    """The ledger queries a poll needs (``ledger.Follows`` has them, ``ledger.FollowFiles`` those
    that remove files, hence ``ledger.Ledger``); the latter are ``pruning.PruneLedger``'s."""

    def follow_by_id(self, follow_id: int) -> FollowRow | None: ...
    def apply_listing(self, follow_id: int, listing: Listing, *, now: float) -> DiffResult: ...
    def record_poll_unchanged(self, follow_id: int, now: float) -> None: ...
    def record_poll_error(
        self, follow_id: int, error_class: str, message: str, backoff_until: float
    ) -> None: ...


if TYPE_CHECKING:  # mypy proves the ledger is a FollowLedger
    from spotsyncd.ledger import Ledger

    _LEDGER: type[FollowLedger] = Ledger


class Playlists(Protocol):
    """Where m3u8 files and their artwork go (``playlists.PlaylistWriter``)."""

    def write(self, follow_name: str, entries: Sequence[FollowTrack]) -> bool: ...
    def write_artwork(self, follow_name: str, jpeg: bytes) -> bool: ...
    def remove(self, follow_name: str) -> bool: ...


Status = Literal["unchanged", "changed", "error", "backing_off", "gone"]


@dataclass(frozen=True)
class PollOutcome:
    follow: str
    status: Status
    diff: DiffResult | None = None
    error: str | None = None
    retry_at: float | None = None  # poll again then (error back-off), not at the interval
    deleted: tuple[str, ...] = ()  # library paths removed for ``on_removed: delete``


def content_fingerprint(listing: Listing) -> str:
    """Changes exactly when the ordered keys or the artwork change (titles and view counts do
    not count; nor does an artwork URL's query string, which may carry a changing signature).
    A feed's episodes count with their addresses (host and path: a query string may change at
    every request), so a moved file is fetched from where it is."""
    text = "\n".join(
        f"{i.link.key} {_host_and_path(i.link.url)}" if is_episode_key(i.link.key) else i.link.key
        for i in listing.items
    )
    if listing.image_url:
        parts = urlsplit(listing.image_url)
        text += f"\nartwork {parts.netloc}{parts.path}"
    return hashlib.sha256(text.encode()).hexdigest()


def _host_and_path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.netloc}{parts.path}"


def backoff_delay(failures: int, interval_s: float, retry_after: float | None = None) -> float:
    """60 s × 2^failures, at most the follow's interval; at least what the service asked."""
    delay = min(float(interval_s), FIRST_BACKOFF_S * 2.0 ** min(failures, 20))
    return max(delay, retry_after or 0.0)


NEW_ONLY_WHY = (
    "existed when the follow started (--new-only); drop the link or 'spotsyncd retry KEY' to "
    "fetch it"
)


class FollowPoller:
    def __init__(
        self,
        ledger: FollowLedger,
        *,
        spotify: SnapshotSource | None,
        lister: FlatLister,
        youtube_music: SnapshotSource | None = None,
        wake: Callable[[], None],
        library_dir: Path,
        playlists: Playlists,
        clock: Callable[[], float] = time.time,
        fetch_artwork: Callable[[str], bytes | None] | None = None,
        feed_artwork: Callable[[str], str | None] | None = None,
        guard: Callable[[str], AbstractContextManager[None]] | None = None,
        feeds: FeedReader | None = None,
        owner_of: Callable[[Path], str | None] | None = None,
    ) -> None:
        """``guard(lane)`` wraps each request to a service ("spotify", "youtube", "generic"):
        the daemon's checks the service's shared circuit and holds a turn of its budget."""
        self.guard = guard or (lambda _lane: contextlib.nullcontext())
        self.ledger = ledger
        self.spotify = spotify
        self.lister = lister
        self.youtube_music = youtube_music
        self.wake = wake
        self.pruner = LibraryPruner(ledger, library_dir, owner_of)
        self.playlists = playlists
        self.clock = clock
        self.fetch_artwork = fetch_artwork  # image URL → JPEG bytes (None: keep what is there)
        self.feed_artwork = feed_artwork  # a feed's own image URL, which its listing lacks
        self._artwork_retry: dict[int, str] = {}  # follow id → artwork URL that failed to fetch
        self.feeds = feeds  # podcast feeds, read before yt-dlp is asked to list an address

    def poll_id(self, follow_id: int, *, force: bool = False) -> PollOutcome:
        """Poll with the follow's current ledger row (its fingerprint may have moved on)."""
        follow = self.ledger.follow_by_id(follow_id)
        if follow is None:
            return PollOutcome(follow=str(follow_id), status="gone")
        return self.poll(follow, force=force)

    def scheduled_poll(self, follow_id: int) -> float | None:
        """For the scheduler: poll, and say when to poll again if sooner than the interval."""
        return self.poll_id(follow_id).retry_at

    def poll(self, follow: FollowRow, *, force: bool = False) -> PollOutcome:
        now = self.clock()
        if not force and follow.backoff_until is not None and follow.backoff_until > now:
            return PollOutcome(follow.name, "backing_off", retry_at=follow.backoff_until)
        try:
            listing = self._fetch_if_changed(follow)
            if listing is None:
                self.ledger.record_poll_unchanged(follow.id, now)
                self.pruner.keep_last(follow)
                # Tracks may have finished downloading since the last poll.
                self.write_playlist(follow.id, follow.name)
                if follow.id in self._artwork_retry:  # only while a fetch keeps failing
                    self.write_artwork(follow, follow.name, self._artwork_retry[follow.id])
                log.debug("%s: unchanged", follow.name)
                return PollOutcome(follow.name, "unchanged")
            diff = self.ledger.apply_listing(follow.id, listing, now=now)
            if diff.new and follow.last_poll_at is None and follow.options.get("new_only"):
                # First poll of a --new-only follow: record what exists, fetch only what comes.
                self.ledger.set_aside(diff.new, NEW_ONLY_WHY)
                log.info("%s: %d existing items recorded, not fetched (--new-only)",
                         follow.name, len(diff.new))  # fmt: skip
                diff = replace(diff, new=())
            if diff.new and is_episode_listing(listing):
                diff = self._hold_back(follow, listing, diff)
        except Exception as exc:  # noqa: BLE001 - a poll must never take the scheduler down
            return self._failed(follow, exc, now)
        if diff.new or diff.relinked or diff.returned:
            self.wake()
        renamed = self.ledger.follow_by_id(follow.id)
        name = renamed.name if renamed is not None else follow.name
        if name != follow.name:
            self.playlists.remove(follow.name)
        trimmed = self.pruner.keep_last(follow)
        self.write_playlist(follow.id, name)
        self.write_artwork(follow, name, listing.image_url)
        deleted = trimmed + (self.pruner.delete_removed(follow) if diff.removed else ())
        if diff.changed:
            log.info("%s: %s", name, diff.summary())
        return PollOutcome(name, "changed" if diff.changed else "unchanged", diff, deleted=deleted)

    # ------------------------------------------------------------------ steps

    def _fetch_if_changed(self, follow: FollowRow) -> Listing | None:
        """The listing, or None when the source says nothing changed (one request)."""
        if follow.key.startswith("spotify:"):
            if self.spotify is None:
                raise PermanentError(
                    f"{follow.url}: Spotify is not set up; run 'spotsyncd auth spotify' or set "
                    "spotify.client_id and spotify.client_secret"
                )
            with self.guard("spotify"):
                if follow.key.startswith(("spotify:playlist:", "spotify:artist:")):
                    snapshot = self.spotify.snapshot(follow.key)
                    if snapshot is not None and snapshot == follow.fingerprint:
                        return None
                listing = self.spotify.list(follow.key)
        elif follow.key.startswith(("youtube:artist:", "youtube:album:")):
            if self.youtube_music is None:
                raise PermanentError(f"{follow.url}: YouTube Music artists need ytmusicapi")
            with self.guard("youtube"):
                snapshot = self.youtube_music.snapshot(follow.key)
                if snapshot is not None and snapshot == follow.fingerprint:
                    return None
                listing = self.youtube_music.list(follow.key)
        else:
            host = (urlsplit(follow.url).hostname or "").lower()
            with self.guard("youtube" if is_youtube_host(host) else "generic"):
                episodes = None
                if self.feeds is not None and follow.key.startswith("url:"):
                    episodes = self.feeds.episodes(follow.url, follow.key, if_changed=True)
                found = episodes if episodes is not None else self.lister.list(follow.url)
            if found is None:
                raise PermanentError(
                    f"{follow.url} is a single item, not a playlist, channel or feed: "
                    f"unfollow it (spotsyncd unfollow {follow.name!r}) and add it instead"
                )
            listing = replace(found, fingerprint=content_fingerprint(found))
        return None if listing.fingerprint == follow.fingerprint else listing

    def _hold_back(self, follow: FollowRow, listing: Listing, diff: DiffResult) -> DiffResult:
        """A feed's new episodes that ``since``/``keep_last`` (or a new follow's default)
        leave out are set aside, not fetched (see episodes.py)."""
        first_poll = follow.last_poll_at is None
        fetched_until = None
        if not first_poll and follow.tracks_known and len(diff.new) == len(listing.items):
            # Every episode is new to a follow that had items: it was polled through yt-dlp,
            # under audio URLs, by an earlier version. What it fetched then stays as it is.
            stamp = follow.last_poll_at or 0.0
            fetched_until = time.strftime("%Y-%m-%d", time.gmtime(stamp + 86400))
        held = held_back(
            listing, diff.new, follow.options, first_poll=first_poll, fetched_until=fetched_until
        )
        for why, keys in held.items():
            self.ledger.set_aside(keys, why)
        left_out = {k for keys in held.values() for k in keys}
        if left_out:
            name = follow.title or listing.title or follow.name  # a first poll: the feed's
            log.info("%s: %s recorded, not fetched (%s)", name,
                     counted(len(left_out), "older episode"), rule_names(held))  # fmt: skip
        return replace(diff, new=tuple(k for k in diff.new if k not in left_out))

    def write_playlist(self, follow_id: int, name: str) -> None:
        """Rewrite a follow's m3u8 if its content changed. Call it when downloads finish too:
        a poll only sees the files that were done by then."""
        try:
            self.playlists.write(name, self.ledger.follow_tracks(follow_id))
        except OSError as exc:
            log.warning("%s: could not write its playlist file: %s", name, exc)

    def write_artwork(self, follow: FollowRow, name: str, image_url: str | None) -> None:
        """Keep ``Playlists/<name>.jpg`` as the source's artwork. Called when the listing
        changed (its fingerprint covers the artwork URL), so an unchanged poll costs nothing."""
        if self.fetch_artwork is None:
            return
        if image_url is None and self.feed_artwork is not None and follow.key.startswith("url:"):
            image_url = self.feed_artwork(follow.url)  # a feed's image: one more request
        if image_url is None:
            return
        try:
            jpeg = self.fetch_artwork(image_url)
            if jpeg is None:  # fetch_artwork said why; try again at the next poll
                self._artwork_retry[follow.id] = image_url
                return
            self._artwork_retry.pop(follow.id, None)
            if self.playlists.write_artwork(name, jpeg):
                log.info("%s: playlist artwork updated", name)
        except Exception as exc:  # noqa: BLE001 - artwork is decoration; the poll succeeded
            log.warning("%s: could not write its playlist artwork: %s", name, exc)

    def _failed(self, follow: FollowRow, exc: Exception, now: float) -> PollOutcome:
        if isinstance(exc, SpotsyncError):
            error_class, message = exc.error_class, str(exc)
            log.warning("%s: poll failed (%s): %s", follow.name, error_class, message)
        else:
            error_class, message = "internal", f"internal error: {exc!r}"
            log.exception("%s: poll failed with an internal error", follow.name)
        retry_after = exc.retry_after if isinstance(exc, RateLimitedError) else None
        if isinstance(exc, DeferredError):  # the service's circuit is open: wait till it closes
            retry_after = max(0.0, exc.until - now)
        retry_at = now + backoff_delay(follow.failures, follow.interval_s, retry_after)
        try:
            self.ledger.record_poll_error(follow.id, error_class, message, retry_at)
        except Exception as exc:  # noqa: BLE001 - the ledger itself is in trouble; say so, go on
            log_problem(log, f"{follow.name}: could not record the failed poll", exc)
        error = f"{error_class}: {message}"
        return PollOutcome(follow.name, "error", error=error, retry_at=retry_at)
