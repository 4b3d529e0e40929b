"""``spotsyncd get``'s engine half: run some tracks now, and watch any tracks in the ledger.

``ForegroundRun`` is the daemon's own worker pool and pipeline, limited to the tracks ``get`` was
given (and what their listings expand into), started without inbox watcher or scheduler.
``Tracker`` reads those tracks' states and progress from the ledger, so the same view follows
work done here or by a running daemon.
"""

from __future__ import annotations

import os
import shutil
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spotsyncd.core.config import Config
from spotsyncd.core.models import JobState, LinkKind
from spotsyncd.core.protocols import Adapters
from spotsyncd.engine.jobs.filing import staging_dir_for
from spotsyncd.engine.jobs.pipeline import Pipeline
from spotsyncd.engine.jobs.waits import wait_text
from spotsyncd.engine.jobs.worker import WorkerPool
from spotsyncd.engine.resilience.budgets import budgets_for
from spotsyncd.engine.resilience.circuits import Circuits, circuit_states
from spotsyncd.follows.collections import write_collection_playlists
from spotsyncd.follows.playlists import PlaylistWriter
from spotsyncd.ledger import Ledger, TrackRow

# A track kept waiting longer than this (offline, an open circuit, a rate limit), or put off
# further than this, is not waited for: ``get`` reports it "deferred" (``get --defer-after``).
WAIT_LIMIT_S = 120.0


@dataclass(frozen=True)
class Item:
    """One track as ``get`` shows it."""

    track_id: int
    key: str
    state: (
        str  # pending | running | done | failed | review | deferred (kept waiting beyond the limit)
    )
    title: str | None
    artist: str | None
    path: Path | None  # where the file is, for done tracks
    error: str | None
    error_class: str | None
    progress: dict[str, Any]
    is_list: bool = False  # a playlist, album or channel still being listed

    url: str = ""
    waiting: str = ""  # why it is not running ("waiting: offline since 11:19, …"), or ""

    @property
    def label(self) -> str:
        if self.title:
            return f"{self.artist} - {self.title}" if self.artist else self.title
        if self.key.startswith("search:"):
            from urllib.parse import parse_qs, urlsplit

            typed = parse_qs(urlsplit(self.url).query).get("q")
            if typed:
                return typed[0]
        return self.key

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed", "review", "skipped", "deferred")

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "state": self.state,
            "title": self.title,
            "artist": self.artist,
            "path": str(self.path) if self.path else None,
            "error": self.error,
            "error_class": self.error_class,
        }


@dataclass(frozen=True)
class Snapshot:
    tracks: tuple[Item, ...]  # every single track, in the order asked (listings expanded)
    listing: tuple[Item, ...]  # collections not yet listed

    @property
    def finished(self) -> bool:
        return not self.listing and all(item.finished for item in self.tracks)

    def count(self, state: str) -> int:
        return sum(1 for item in self.tracks if item.state == state)

    @property
    def total(self) -> int:
        """Every track asked for, a collection not yet listed counting as one."""
        return len(self.tracks) + len(self.listing)

    @property
    def unfinished(self) -> tuple[Item, ...]:
        return (*self.listing, *(item for item in self.tracks if not item.finished))


class Tracker:
    """Reads the state of ``roots`` (track ids) and of what their listings expanded into."""

    def __init__(
        self,
        ledger: Ledger,
        roots: Sequence[int],
        library_dir: Path,
        *,
        circuits_file: Path | None = None,
        defer_after_s: float = WAIT_LIMIT_S,
    ) -> None:
        """``circuits_file``: where this machine's offline circuit is saved (with the ledger's
        service circuits: why a track waits);
        ``defer_after_s``: how long a track may wait before it counts as deferred."""
        self.ledger = ledger
        self.roots = list(dict.fromkeys(roots))
        self.library_dir = library_dir
        self.circuits_file = circuits_file
        self.defer_after_s = defer_after_s
        self._waiting_since: dict[int, float] = {}

    def poll(self, now: float | None = None) -> Snapshot:
        now = time.time() if now is None else now
        # This machine's offline circuit (a few hundred bytes) and the service circuits every
        # process shares (the ledger), read at every poll: a track deferred by a circuit is
        # never shown before the circuit that explains it.
        circuits = {}
        if self.circuits_file is not None:
            circuits = circuit_states(self.circuits_file, self.ledger)
        tracks: dict[int, Item] = {}
        listing: list[Item] = []
        seen: set[int] = set()
        pending = self.ledger.tracks_by_ids(self.roots)
        while pending:
            row = pending.pop(0)
            if row.id in seen:
                continue
            seen.add(row.id)
            if row.kind == LinkKind.COLLECTION and row.state == JobState.DONE:
                pending[:0] = self.ledger.children(row.id)
                continue
            item = self._item(row, now, circuits)
            if item.is_list and not item.finished:
                listing.append(item)
            else:
                tracks[row.id] = item
        return Snapshot(tuple(tracks.values()), tuple(listing))

    def _item(self, row: TrackRow, now: float, circuits: dict[str, dict[str, object]]) -> Item:
        state = str(row.state)
        waiting = ""
        if row.state in (JobState.PENDING, JobState.WAITING):
            waiting = wait_text(row.error, row.retry_at, circuits, now)
        if waiting:
            since = self._waiting_since.setdefault(row.id, now)
        else:
            since = self._waiting_since.pop(row.id, now)
        # Put off further than the limit by a circuit or a retry: not worth waiting for. Offline
        # gives no date (the next probe may find the network): the limit runs from now.
        offline = (row.error or "").startswith("offline")
        far = bool(row.retry_at and row.retry_at - now > self.defer_after_s and not offline)
        if row.state == JobState.WAITING or (
            row.state == JobState.PENDING
            and (far or (waiting and now - since >= self.defer_after_s))
        ):
            state = "deferred"  # a slow retry, offline or an open circuit: finished later
        path = self.library_dir / row.path if row.path and row.state == JobState.DONE else None
        return Item(
            track_id=row.id,
            key=row.key,
            state=state,
            title=row.title,
            artist=row.artist,
            path=path,
            error=row.error,
            error_class=row.error_class,
            progress=row.progress or {},
            is_list=row.kind != LinkKind.TRACK and row.state != JobState.DONE,
            url=row.url,
            waiting=waiting,
        )


class ForegroundRun:
    """The daemon's worker pool on ``scope`` only; the caller holds the state dir's lock."""

    def __init__(
        self,
        config: Config,
        ledger: Ledger,
        scope: set[int],
        adapters_factory: Callable[[Config], Adapters],
    ) -> None:
        self.config = config
        self.ledger = ledger
        self.scope = scope
        holder = f"get:{socket.gethostname()}:{os.getpid()}"
        circuits = Circuits(config.state_dir / "circuits.json", shared=ledger, holder=holder)
        budgets = budgets_for(lambda: config, ledger, holder)
        pipeline = Pipeline(config, ledger, adapters_factory(config), circuits, budgets)
        self.pool = WorkerPool(config, ledger, pipeline, circuits, scope=scope)

    def start(self) -> None:
        # We hold the lock, so no daemon runs: rows left running were cut off by a crash,
        # and budget turns held by a daemon or 'get' of this machine are a dead one's.
        self.ledger.reset_running()
        for who in ("daemon", "get"):
            self.ledger.drop_turns(f"{who}:{socket.gethostname()}:")
        self.pool.start()

    def stop(self) -> list[str]:
        """Stop the workers (interrupted jobs go back to pending), remove the staging folders
        of every unfinished track; the keys of the tracks left unfinished."""
        self.pool.stop(timeout_s=7.0)
        # No daemon keeps the playlists of imported files meanwhile: write what was filed.
        names = [follow.name for follow in self.ledger.follows()]
        writer = PlaylistWriter(self.config.library_dir)
        write_collection_playlists(self.ledger, writer, follow_names=names)
        left: list[str] = []
        for row in self.ledger.tracks_by_ids(sorted(self.pool.scope_ids() or ())):
            if row.state in (JobState.DONE, JobState.FAILED, JobState.REVIEW, JobState.SKIPPED):
                continue
            shutil.rmtree(staging_dir_for(self.config, row.id), ignore_errors=True)
            left.append(row.key)
        return left
