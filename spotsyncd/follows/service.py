"""Following, wired for the daemon: config follows registered, a poller, the scheduler, and
playlist files kept current as downloads finish."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from spotsyncd.core.config import Config
from spotsyncd.core.errors import LinkError, UserError
from spotsyncd.core.models import Link, LinkKind, Source
from spotsyncd.core.protocols import Adapters
from spotsyncd.follows.collections import CollectionLedger, write_collection_playlists
from spotsyncd.follows.playlists import PlaylistWriter
from spotsyncd.follows.scheduler import FollowScheduler
from spotsyncd.follows.sync import FollowLedger, FollowPoller, PollOutcome
from spotsyncd.intake.links import parse_line
from spotsyncd.ledger.follows.registry import FollowRow, Origin
from spotsyncd.media.covers import as_jpeg

log = logging.getLogger(__name__)

POLL_REQUEST = "poll-request.json"


class FollowBook(FollowLedger, Protocol):
    """What following needs of the ledger: polls, and the follows themselves
    (``ledger.Follows`` and ``ledger.FollowFiles`` have it, hence ``ledger.Ledger``)."""

    def add_follow(
        self,
        link: Link,
        *,
        name: str | None,
        interval_s: int,
        options: dict[str, Any],
        origin: Origin,
    ) -> FollowRow: ...
    def remove_follow(self, key_or_name: str) -> bool: ...
    def follows(self) -> list[FollowRow]: ...


if TYPE_CHECKING:  # mypy proves the ledger is a FollowBook
    from spotsyncd.ledger import Ledger

    _LEDGER: type[FollowBook] = Ledger


def followable(link: Link) -> Link:
    """Refuse what cannot be followed (a single track) with a clear reason."""
    if link.kind == LinkKind.TRACK:
        raise LinkError(f"{link.url} is a single track; follow a playlist, album, channel or feed")
    if link.source == Source.SPOTIFY and link.kind != LinkKind.COLLECTION:
        raise LinkError(f"{link.url} cannot be followed")
    return link


def follow_options(link: Link, options: dict[str, Any]) -> dict[str, Any]:
    """A followed artist's releases are checked for recordings already filed elsewhere."""
    if link.key.startswith(("spotify:artist:", "youtube:artist:")):
        return {**options, "artist": link.key}
    return options


def register_config_follows(config: Config, ledger: FollowBook) -> None:
    """Make the ledger's config follows match the config file (CLI/inbox ones are kept)."""
    wanted: set[str] = set()
    for item in config.follows:
        try:
            link = followable(parse_line(item.url))
            row = ledger.add_follow(
                link,
                name=item.name,
                interval_s=item.every_s,
                options=follow_options(link, dict(item.options)),
                origin="config",
            )
        except (LinkError, UserError) as exc:
            log.error("config follow %s refused: %s", item.url, exc)
            continue
        wanted.add(row.key)
    for row in ledger.follows():
        if row.origin == "config" and row.key not in wanted:
            ledger.remove_follow(row.key)
            log.info("follow %s removed: no longer in the config", row.name)


class FollowService:
    def __init__(
        self,
        config: Config,
        ledger: FollowBook,
        adapters: Adapters,
        wake: Callable[[], None],
        *,
        on_change: Callable[[], None] | None = None,
        guard: Callable[[str], AbstractContextManager[None]] | None = None,
        collections: CollectionLedger | None = None,
    ) -> None:
        """``guard(lane)``: wraps each poll's request to a service (see ``FollowPoller``)."""
        self.config = config
        self.ledger = ledger
        self.collections = collections  # imported playlists: their m3u8 are kept here too
        self.poller = FollowPoller(
            ledger,
            spotify=adapters.spotify,  # type: ignore[arg-type]
            lister=adapters.downloader,
            youtube_music=adapters.youtube_music,
            wake=wake,
            library_dir=config.library_dir,
            playlists=PlaylistWriter(config.library_dir, on_change),
            fetch_artwork=lambda url: as_jpeg(adapters.fetch_cover(url)),
            feed_artwork=getattr(adapters.downloader, "feed_artwork", None),
            guard=guard,
            feeds=adapters.feeds,
            owner_of=adapters.tagger.read_key if adapters.tagger is not None else None,
        )
        self.scheduler = FollowScheduler(self.poller.scheduled_poll)
        self._playlists_dirty = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        register_config_follows(self.config, self.ledger)
        self.scheduler.sync(self.ledger.follows())
        self.scheduler.start()
        self._thread = threading.Thread(
            target=self._playlist_loop, daemon=True, name="spotsyncd-playlists"
        )
        self._thread.start()

    def shutdown(self, timeout_s: float = 2.0) -> None:
        self._stop.set()
        self._playlists_dirty.set()
        self.scheduler.shutdown()
        if self._thread is not None:
            self._thread.join(timeout=timeout_s)
            if self._playlists_dirty.is_set():
                self.write_all_playlists()  # jobs that finished in the last moments

    def alive(self) -> bool:
        return self.scheduler.alive()

    def reload(self, config: Config, adapters: Adapters | None = None) -> None:
        self.config = config
        if adapters is not None:
            self.poller.spotify = adapters.spotify  # type: ignore[assignment]
            self.poller.lister = adapters.downloader
            self.poller.fetch_artwork = lambda url: as_jpeg(adapters.fetch_cover(url))
            self.poller.feed_artwork = getattr(adapters.downloader, "feed_artwork", None)
            self.poller.youtube_music = adapters.youtube_music
            self.poller.feeds = adapters.feeds
            self.poller.pruner.owner_of = adapters.tagger.read_key
        register_config_follows(config, self.ledger)
        self.scheduler.sync(self.ledger.follows())

    def refresh_from_ledger(self) -> None:
        """The CLI changed follows or asked for a poll (SIGUSR1)."""
        self.scheduler.sync(self.ledger.follows())
        request = self.config.state_dir / POLL_REQUEST
        try:
            names = json.loads(request.read_text(encoding="utf-8"))
            request.unlink()
        except (OSError, ValueError):
            return
        started = self.scheduler.poll_now(names if isinstance(names, list) else [])
        log.info("polling now: %s", ", ".join(started) or "no matching follows")

    # ------------------------------------------------------------------ follows
    def follow_link(self, link: Link, *, origin: Origin) -> str:
        row = self.ledger.add_follow(
            followable(link),
            name=None,
            interval_s=self.config.poll_every_s,
            options=follow_options(link, {}),
            origin=origin,
        )
        self.scheduler.sync(self.ledger.follows())
        return row.name

    def poll_all_now(self, *, names: Iterable[str] = (), wait: bool = True) -> list[PollOutcome]:
        """Poll now in this thread (for ``--once``)."""
        asked = set(names)
        outcomes = []
        for row in self.ledger.follows():
            if asked and row.name not in asked and row.key not in asked and row.url not in asked:
                continue
            outcome = self.poller.poll(row, force=True)
            log.info(
                "%s: %s%s", row.name, outcome.status, f" ({outcome.error})" if outcome.error else ""
            )
            outcomes.append(outcome)
        return outcomes

    # ------------------------------------------------------------------ playlists
    def job_finished(self) -> None:
        self._playlists_dirty.set()

    def write_all_playlists(self) -> None:
        follows = self.ledger.follows()
        for row in follows:
            self.poller.write_playlist(row.id, row.name)
        if self.collections is not None:
            names = [row.name for row in follows]
            write_collection_playlists(self.collections, self.poller.playlists, follow_names=names)

    def _playlist_loop(self) -> None:
        while not self._stop.is_set():
            self._playlists_dirty.wait()
            if self._stop.wait(2.0):  # gather a burst of finished jobs into one rewrite
                return
            self._playlists_dirty.clear()
            try:
                self.write_all_playlists()
            except Exception:  # noqa: BLE001 - playlists are derived; the ledger has the truth
                log.exception("could not rewrite follow playlists")


def request_poll(state_dir: Path, names: list[str]) -> None:
    (state_dir / POLL_REQUEST).write_text(json.dumps(names), encoding="utf-8")
