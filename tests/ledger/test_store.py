"""The Ledger facade: every name callers use is one repository's own method, the repositories
share one Store, and none of them reaches into another's private helpers."""

from __future__ import annotations

import ast
from pathlib import Path

from spotsyncd.core.models import JobState, Link, LinkKind, Source
from spotsyncd.ledger import (
    Browse,
    EventLog,
    Filed,
    FollowFiles,
    Follows,
    Identities,
    Intake,
    JobQueue,
    Ledger,
    Reports,
    Store,
    Workers,
)

LEDGER_DIR = Path(__file__).resolve().parents[2] / "spotsyncd" / "ledger"
REPOSITORIES = (
    Browse, EventLog, Filed, FollowFiles, Follows, Identities, Intake, JobQueue, Reports,
    Workers,
)  # fmt: skip
MAX_PUBLIC_METHODS = 15  # a repository that needs more has two roles: split it

# The flat names callers used when Ledger was one class of seven mixins; they must all stay.
_FLAT = """
add_follow add_inbox_lines add_links add_listener apply_listing begin_move candidates changed
children claim_next_job close count_filed counts defer_job describe_url dispatch_next
dispatched_waiting due_follows end_move event events_after events_for expand_collection
fail_job finish_duplicate finish_job follow follow_by_id follow_tracks follows forget_file
forget_workers give_back heartbeat integrity_check iter_filed last_done_at last_event_id
live_workers mark_report_final next_due_at next_slow_retry_at notable_events open_reports
owners path_owner progress_of_running recent_failures record_poll_error record_poll_unchanged
register_worker release_orphans removable_files remove_follow report_lines requeue_filed
reserve_path reset_running retry running running_count same_recording
set_aside set_candidates set_inbox_file_path set_override set_progress start_inbox_file
summary take_job track track_id_of tracks tracks_by_ids tracks_page undo_move update_meta
where worker_stopped
"""
FLAT_NAMES = _FLAT.split()


def _public(cls: type) -> set[str]:
    return {n for n, v in vars(cls).items() if callable(v) and not n.startswith("_")}


def test_every_flat_name_is_the_method_of_one_repository(sqlite_ledger: Ledger) -> None:
    ledger = sqlite_ledger
    delegated = 0
    for name in FLAT_NAMES:
        assert hasattr(ledger, name), f"Ledger.{name} is gone; callers still use it"
        bound = getattr(ledger, name)
        owner = getattr(bound, "__self__", None)
        if name in ("where", "describe_url"):
            continue  # the facade's own: a property and a static method
        assert isinstance(owner, (Store, *REPOSITORIES)), f"Ledger.{name} is bound to {owner!r}"
        assert bound.__func__ is getattr(type(owner), name), f"Ledger.{name} is not its own"
        assert ledger.repository(type(owner)) is owner
        delegated += 1
    assert delegated == len(FLAT_NAMES) - 2


def test_each_repository_keeps_to_its_role() -> None:
    owners: dict[str, str] = {}
    for repository in REPOSITORIES:
        names = _public(repository)
        assert len(names) <= MAX_PUBLIC_METHODS, f"{repository.__name__}: {sorted(names)}"
        for name in names:
            assert name not in owners, f"{name} is in {owners[name]} and {repository.__name__}"
            owners[name] = repository.__name__


def test_no_part_of_the_ledger_reaches_into_another_parts_privates() -> None:
    """``self._jobs.requeue_in(…)`` is fine, ``self._jobs._requeue(…)`` or
    ``JobsMixin._job_done(…)`` is not: private names are used on ``self`` only."""
    allowed = {"_mapping", "_asdict"}  # SQLAlchemy Row's public API, despite the underscore
    found: list[str] = []
    modules = [p for p in LEDGER_DIR.rglob("*.py") if "migrations" not in p.parts]
    assert len(modules) > 20, "the ledger's modules, its sub-packages' included"
    for module in sorted(modules):
        for node in ast.walk(ast.parse(module.read_text())):
            if not isinstance(node, ast.Attribute) or not node.attr.startswith("_"):
                continue
            if node.attr.startswith("__") or node.attr in allowed:
                continue
            if isinstance(node.value, ast.Name) and node.value.id == "self":
                continue
            found.append(f"{module.relative_to(LEDGER_DIR)}:{node.lineno}: .{node.attr}")
    assert not found, found


def test_writes_through_any_repository_reach_the_listeners(sqlite_ledger: Ledger) -> None:
    ledger = sqlite_ledger
    heard: list[int] = []
    ledger.add_listener(lambda: heard.append(1))
    link = Link("url:http://127.0.0.1/a.mp3", "http://127.0.0.1/a.mp3", Source.GENERIC,
                LinkKind.UNKNOWN)  # fmt: skip
    ledger.intake.add_links([link])
    assert len(heard) == 1
    job = ledger.jobs.claim_next_job("w")
    assert job is not None and len(heard) == 2
    ledger.jobs.set_progress(job.job_id, {"percent": 50})
    ledger.events.event("info", "note", "hello", track_id=job.track.id)
    assert len(heard) == 4
    assert ledger.browse.track(link.key) == ledger.track(link.key)
    track = ledger.browse.track(link.key)
    assert track is not None and track.state == JobState.RUNNING
    assert track.progress == {"percent": 50}
    assert ledger.events.events_for(job.track.id)[-1]["message"] == "hello"
