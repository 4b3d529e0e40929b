"""What the worker pool, the pipeline and the matcher need of the ledger: narrow Protocols.

``ledger.Ledger`` satisfies each (the daemon, ``get`` and a remote worker hand it in); the
worker pool's slice is exactly the ledger's ``JobQueue``, and mypy proves it below, so a test
or another queue can hand in a ``JobQueue`` or an in-memory fake of these few methods.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from spotsyncd.core.models import Identity, Listing, TrackMeta
from spotsyncd.core.protocols import LookupCache
from spotsyncd.core.retries import NextStep
from spotsyncd.ledger import ClaimedJob, TrackRow
from spotsyncd.ledger.rows import Added


class CandidateLedger(Protocol):
    """Where the matcher leaves the ranked candidates (for ``spotsyncd why``)."""

    def set_candidates(self, track_id: int, ranked: list[dict[str, Any]]) -> None: ...


class PipelineLedger(CandidateLedger, LookupCache, Protocol):
    """What one job's pipeline reads and writes besides its outcome (and the identity step's
    cache of MusicBrainz and AcoustID answers)."""

    def candidates(self, key: str) -> list[dict[str, Any]]: ...
    def expand_collection(
        self, parent_id: int, listing: Listing, *, options: dict[str, Any] | None = None
    ) -> list[Added]: ...
    def update_meta(self, track_id: int, meta: TrackMeta) -> None: ...
    def same_recording(self, track_id: int, meta: TrackMeta) -> TrackRow | None: ...
    def reserve_path(self, track_id: int, path: str) -> bool: ...


class JobLedger(Protocol):
    """What the worker pool does with jobs: claim, report progress, record the outcome."""

    def claim_next_job(
        self, worker: str, *, now: float | None = None, only: Collection[int] | None = None
    ) -> ClaimedJob | None: ...
    def next_due_at(self) -> float | None: ...
    def set_progress(self, job_id: int, progress: dict[str, Any]) -> None: ...
    def defer_job(self, job_id: int, track_id: int, until: float, why: str) -> None: ...
    def finish_job(
        self,
        job_id: int,
        track_id: int,
        *,
        path: str,
        size_bytes: int,
        duration_s: float | None,
        meta: TrackMeta,
        info: dict[str, Any] | None,
        audio_settings: str,
        loudness_lufs: float | None,
        download_s: float,
        process_s: float,
        message: str,
        identity: Identity | None = None,
    ) -> None: ...
    def finish_duplicate(
        self, job_id: int, track_id: int, *, of: TrackRow, meta: TrackMeta, where: str
    ) -> None: ...
    def fail_job(
        self,
        job_id: int,
        track_id: int,
        *,
        error_class: str,
        message: str,
        retryable: bool,
        max_retries: int,
        backoff_s: float,
        slow_retries: Sequence[float] = (),
    ) -> NextStep: ...


class ReviewLedger(Protocol):
    """Where a track goes when no candidate's audio verified (the identity check)."""

    def hold_for_review(
        self,
        job_id: int,
        track_id: int,
        *,
        message: str,
        checked: list[dict[str, Any]],
        identity: Identity | None,
    ) -> None: ...


class PoolLedger(JobLedger, ReviewLedger, Protocol):
    """Everything the worker pool needs of the ledger."""


class GateLedger(Protocol):
    """What the host gate (``host_gate.py``) reads and changes while hosts are cut off."""

    def queued_urls(
        self, only: Collection[int] | None = None
    ) -> list[tuple[int, str, float | None]]: ...
    def defer_job(self, job_id: int, track_id: int, until: float, why: str) -> None: ...
    def wait_for_network(
        self, track_ids: Collection[int], until: float, why: str, *, give_back: int = 0
    ) -> int: ...


if TYPE_CHECKING:  # mypy proves the ledger's repositories and the ledger itself fit
    from spotsyncd.ledger import JobQueue, Ledger
    from spotsyncd.ledger.tracks.identities import Identities

    _JOBS: type[JobLedger] = JobQueue
    _CANDIDATES: type[CandidateLedger] = JobQueue
    _PIPELINE: type[PipelineLedger] = Ledger
    _REVIEW: type[ReviewLedger] = Identities
    _POOL: type[PoolLedger] = Ledger
    _GATE: type[GateLedger] = Ledger
