"""The Ledger object: the one thing the daemon, the CLI and a worker open and pass down.

It composes the repositories, one per role, over one shared ``Store``:

- ``jobs`` (``JobQueue``): claims, finishing (or as a duplicate), failing with back-off,
  deferring, retrying;
- ``intake`` (``Intake``): links, collections and inbox files becoming tracks with jobs;
- ``following`` (``Follows``): follows, their polls and diffs, their items;
- ``follow_files`` (``FollowFiles``): which of a follow's files may be deleted, forgetting
  one that was;
- ``reports`` (``Reports``): inbox files' reports, ``status``/``report`` summaries;
- ``filed`` (``Filed``): filed tracks, their library paths and moves, the same recording
  filed under another key, tracks sent back when their file is lost;
- ``browse`` (``Browse``): reads of tracks, pages, counts, progress;
- ``events`` (``EventLog``): the event log;
- ``workers`` (``Workers``): remote workers' heart-beats and broker dispatch;
- ``circuits`` (``ServiceCircuits``): each outside service's circuit, shared by every process;
- ``budgets`` (``Budgets``): turns under each source's budget, across every process;
- ``lists`` (``Collections``): the named lists imported playlist files bring.
- ``identities`` (``Identities``): the MusicBrainz and AcoustID answers every process
  shares, and accepting a track in review.
- ``sources`` (``SourceHealth``): each source's last canary, and recent downloads to try again.

A consumer that needs one slice takes that repository, or a ``typing.Protocol`` the repository
satisfies (``follows.sync.FollowLedger``). The flat names (``ledger.claim_next_job(…)``) stay as
delegations, so call sites need not change at once: each is the repository's own method, with
its signature, resolved by ``_Via``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Concatenate, Generic, ParamSpec, Self, TypeVar, cast, overload

from spotsyncd.ledger import db
from spotsyncd.ledger.base import Store
from spotsyncd.ledger.follows.collections import Collections
from spotsyncd.ledger.follows.files import FollowFiles
from spotsyncd.ledger.follows.registry import Follows
from spotsyncd.ledger.rows import Added, ClaimedJob, TrackRow
from spotsyncd.ledger.shared.budgets import Budgets
from spotsyncd.ledger.shared.circuits import ServiceCircuits
from spotsyncd.ledger.shared.source_health import SourceHealth
from spotsyncd.ledger.shared.workers import Workers
from spotsyncd.ledger.tracks.browse import Browse
from spotsyncd.ledger.tracks.event_log import EventLog
from spotsyncd.ledger.tracks.filed import Filed
from spotsyncd.ledger.tracks.identities import Identities
from spotsyncd.ledger.tracks.intake import Intake
from spotsyncd.ledger.tracks.jobs import JobQueue
from spotsyncd.ledger.tracks.library import Library
from spotsyncd.ledger.tracks.reports import Reports

__all__ = ["Added", "ClaimedJob", "Ledger", "TrackRow"]

R = TypeVar("R")
P = ParamSpec("P")
T = TypeVar("T")


class _Via(Generic[R, P, T]):
    """``Ledger.<name>``: the same-named method of the ledger's ``repository`` (looked up on
    each access, so the call is exactly the repository's), typed with its signature."""

    def __init__(self, repository: type[R], method: Callable[Concatenate[R, P], T]) -> None:
        self.repository = repository
        self.name = method.__name__

    @overload
    def __get__(self, ledger: None, owner: type[Any]) -> Self: ...
    @overload
    def __get__(self, ledger: Ledger, owner: type[Any]) -> Callable[P, T]: ...
    def __get__(self, ledger: Ledger | None, owner: type[Any]) -> Self | Callable[P, T]:
        if ledger is None:
            return self
        return cast("Callable[P, T]", getattr(ledger.repository(self.repository), self.name))


class Ledger:
    def __init__(self, target: str | Path) -> None:
        """Open (and migrate, see migrate.py) the ledger at ``target``: a SQLite file's path,
        or a URL (``sqlite:///…``, ``postgresql+psycopg://…``)."""
        self.store = Store(target)
        self.path = self.store.path  # None on PostgreSQL
        self.engine = self.store.engine
        self.events = EventLog(self.store)
        self.jobs = JobQueue(self.store, self.events)
        self.intake = Intake(self.store, self.events, self.jobs)
        self.following = Follows(self.store, self.events)
        self.follow_files = FollowFiles(self.store, self.events)
        self.reports = Reports(self.store)
        self.filed = Filed(self.store, self.events, self.jobs)
        self.browse = Browse(self.store)
        self.library = Library(self.store)
        self.workers = Workers(self.store, self.events, self.jobs)
        self.circuits = ServiceCircuits(self.store, self.events)
        self.budgets = Budgets(self.store)
        self.lists = Collections(self.store)
        self.identities = Identities(self.store, self.events, self.jobs)
        self.sources = SourceHealth(self.store)
        self._repositories: dict[type[Any], object] = {
            type(part): part
            for part in (self.store, self.events, self.jobs, self.intake, self.following)
            + (self.reports, self.filed, self.browse, self.library, self.workers, self.circuits)
            + (self.budgets, self.lists, self.identities, self.sources, self.follow_files)
        }

    def repository(self, kind: type[R]) -> R:
        """The ledger's repository of this class (``ledger.repository(JobQueue)``)."""
        return cast(R, self._repositories[kind])

    @property
    def where(self) -> str:
        """The ledger's location for messages (no password)."""
        return self.store.where

    @staticmethod
    def describe_url(target: str | Path) -> str:
        """What ``where`` would say for ``target``, without opening it."""
        path = db.sqlite_path(target)
        if path is not None:
            return str(path)
        from sqlalchemy.engine import make_url

        return make_url(str(target)).render_as_string(hide_password=True)

    # ------------------------------------------------------------------ the store
    add_listener = _Via(Store, Store.add_listener)
    changed = _Via(Store, Store.changed)
    integrity_check = _Via(Store, Store.integrity_check)
    close = _Via(Store, Store.close)

    # ------------------------------------------------------------------ jobs and claims
    reset_running = _Via(JobQueue, JobQueue.reset_running)
    claim_next_job = _Via(JobQueue, JobQueue.claim_next_job)
    next_due_at = _Via(JobQueue, JobQueue.next_due_at)
    finish_job = _Via(JobQueue, JobQueue.finish_job)
    fail_job = _Via(JobQueue, JobQueue.fail_job)
    defer_job = _Via(JobQueue, JobQueue.defer_job)
    wait_for_network = _Via(JobQueue, JobQueue.wait_for_network)
    set_progress = _Via(JobQueue, JobQueue.set_progress)
    set_candidates = _Via(JobQueue, JobQueue.set_candidates)
    retry = _Via(JobQueue, JobQueue.retry)
    set_override = _Via(JobQueue, JobQueue.set_override)
    finish_duplicate = _Via(JobQueue, JobQueue.finish_duplicate)
    hold_for_review = _Via(Identities, Identities.hold_for_review)

    # ------------------------------------------------------------------ adding work
    add_links = _Via(Intake, Intake.add_links)
    update_meta = _Via(Intake, Intake.update_meta)
    expand_collection = _Via(Intake, Intake.expand_collection)
    start_inbox_file = _Via(Intake, Intake.start_inbox_file)
    add_inbox_lines = _Via(Intake, Intake.add_inbox_lines)
    set_inbox_file_path = _Via(Intake, Intake.set_inbox_file_path)

    # ------------------------------------------------------------------ follows
    add_follow = _Via(Follows, Follows.add_follow)
    remove_follow = _Via(Follows, Follows.remove_follow)
    follows = _Via(Follows, Follows.follows)
    follow = _Via(Follows, Follows.follow)
    follow_by_id = _Via(Follows, Follows.follow_by_id)
    due_follows = _Via(Follows, Follows.due_follows)
    apply_listing = _Via(Follows, Follows.apply_listing)
    set_aside = _Via(Follows, Follows.set_aside)
    record_poll_unchanged = _Via(Follows, Follows.record_poll_unchanged)
    record_poll_error = _Via(Follows, Follows.record_poll_error)
    follow_tracks = _Via(Follows, Follows.follow_tracks)
    set_interval = _Via(Follows, Follows.set_interval)

    # ------------------------------------------------------------------ follows' files
    removable_files = _Via(FollowFiles, FollowFiles.removable_files)
    expendable_files = _Via(FollowFiles, FollowFiles.expendable_files)
    forget_file = _Via(FollowFiles, FollowFiles.forget_file)

    # ------------------------------------------------------------------ reports
    report_lines = _Via(Reports, Reports.report_lines)
    open_reports = _Via(Reports, Reports.open_reports)
    mark_report_final = _Via(Reports, Reports.mark_report_final)
    next_slow_retry_at = _Via(Reports, Reports.next_slow_retry_at)
    summary = _Via(Reports, Reports.summary)

    # ------------------------------------------------------------------ filed tracks
    count_filed = _Via(Filed, Filed.count_filed)
    iter_filed = _Via(Filed, Filed.iter_filed)
    owners = _Via(Filed, Filed.owners)
    reserve_path = _Via(Filed, Filed.reserve_path)
    path_owner = _Via(Filed, Filed.path_owner)
    begin_move = _Via(Filed, Filed.begin_move)
    end_move = _Via(Filed, Filed.end_move)
    undo_move = _Via(Filed, Filed.undo_move)
    requeue_filed = _Via(Filed, Filed.requeue_filed)
    same_recording = _Via(Filed, Filed.same_recording)

    # ------------------------------------------------------------------ reading tracks
    track = _Via(Browse, Browse.track)
    tracks = _Via(Browse, Browse.tracks)
    counts = _Via(Browse, Browse.counts)
    queued_urls = _Via(Browse, Browse.queued_urls)
    last_done_at = _Via(Browse, Browse.last_done_at)
    candidates = _Via(Browse, Browse.candidates)
    tracks_by_ids = _Via(Browse, Browse.tracks_by_ids)
    children = _Via(Browse, Browse.children)
    recent_failures = _Via(Browse, Browse.recent_failures)
    running = _Via(Browse, Browse.running)
    tracks_page = _Via(Browse, Browse.tracks_page)
    track_id_of = _Via(Browse, Browse.track_id_of)
    progress_of_running = _Via(Browse, Browse.progress_of_running)

    # ------------------------------------------------------------------ the library
    albums = _Via(Library, Library.albums)
    artists = _Via(Library, Library.artists)
    filed_page = _Via(Library, Library.filed_page)
    events_page = _Via(Library, Library.events_page)
    event_kinds = _Via(Library, Library.event_kinds)

    # ------------------------------------------------------------------ events
    event = _Via(EventLog, EventLog.event)
    last_event_id = _Via(EventLog, EventLog.last_event_id)
    events_for = _Via(EventLog, EventLog.events_for)
    events_after = _Via(EventLog, EventLog.events_after)
    notable_events = _Via(EventLog, EventLog.notable_events)

    # ------------------------------------------------------------------ remote workers
    register_worker = _Via(Workers, Workers.register_worker)
    heartbeat = _Via(Workers, Workers.heartbeat)
    worker_stopped = _Via(Workers, Workers.worker_stopped)
    live_workers = _Via(Workers, Workers.live_workers)
    forget_workers = _Via(Workers, Workers.forget_workers)
    dispatch_next = _Via(Workers, Workers.dispatch_next)
    take_job = _Via(Workers, Workers.take_job)
    give_back = _Via(Workers, Workers.give_back)
    dispatched_waiting = _Via(Workers, Workers.dispatched_waiting)
    release_orphans = _Via(Workers, Workers.release_orphans)
    running_count = _Via(Workers, Workers.running_count)
    recent_workers = _Via(Workers, Workers.recent_workers)

    # ------------------------------------------------------------------ shared circuits, budgets
    service_circuits = _Via(ServiceCircuits, ServiceCircuits.service_circuits)
    open_circuit = _Via(ServiceCircuits, ServiceCircuits.open_circuit)
    close_circuit = _Via(ServiceCircuits, ServiceCircuits.close_circuit)
    hold_for_circuit = _Via(ServiceCircuits, ServiceCircuits.hold_for_circuit)
    release_held = _Via(ServiceCircuits, ServiceCircuits.release_held)
    take_turn = _Via(Budgets, Budgets.take_turn)
    end_turn = _Via(Budgets, Budgets.end_turn)
    renew_turns = _Via(Budgets, Budgets.renew_turns)
    drop_turns = _Via(Budgets, Budgets.drop_turns)
    turns_held = _Via(Budgets, Budgets.turns_held)

    # ------------------------------------------------------------------ collections
    save_collection = _Via(Collections, Collections.save_collection)
    collections = _Via(Collections, Collections.collections)
    collection_tracks = _Via(Collections, Collections.collection_tracks)
    collection_states = _Via(Collections, Collections.collection_states)

    # ------------------------------------------------------------------ identity lookups
    cached_answer = _Via(Identities, Identities.cached_answer)
    remember_answer = _Via(Identities, Identities.remember_answer)
    accept_review = _Via(Identities, Identities.accept_review)
    set_identity = _Via(Identities, Identities.set_identity)

    # ------------------------------------------------------------------ source health
    recent_audio_urls = _Via(SourceHealth, SourceHealth.recent_audio_urls)
    health_rows = _Via(SourceHealth, SourceHealth.health_rows)
    sources_in_use = _Via(SourceHealth, SourceHealth.sources_in_use)
    recent_keys = _Via(SourceHealth, SourceHealth.recent_keys)
    record_health = _Via(SourceHealth, SourceHealth.record_health)
