"""The worker pool's side of the offline watch: which queued jobs may be claimed while some
hosts are cut off, and the attempts given back once the network is known to be down.

The watch (``engine/resilience/offline.py``) decides which hosts are cut off; this gate turns
that into claims: a job whose host answers (or has not been found cut off) is claimed as usual,
a job for a cut-off host stays queued until a probe or another job finds its host again, so it
spends no attempt and costs no claim while it waits; its row says so ("offline: cannot reach
HOST", the next probe as ``retry_at``) for ``status``, ``why`` and ``get``. An attempt that
failed for lack of network before the watch could tell (the first seconds of an outage, while a
check host still answered) is given back once it can: a blip must not push a track into slow
retries.
"""

from __future__ import annotations

import heapq
import threading
import time
from collections.abc import Collection
from dataclasses import dataclass

from spotsyncd.core.errors import NetworkDownError
from spotsyncd.core.wording import counted
from spotsyncd.engine.jobs.job_ledger import GateLedger
from spotsyncd.engine.resilience.offline import OfflineWatch, host_key
from spotsyncd.ledger import ClaimedJob

# Attempts that failed with "network down" this long before the outage was confirmed are given
# back (fast retries span seconds; a host dead for its own reasons keeps its spent attempts).
GIVE_BACK_S = 120.0
# How long a list of claimable jobs is reused by the workers (new work and a host back clear it
# at once), and how many of them, soonest due first, a claim is limited to: a claim among a few
# hundred ids costs little more than a plain claim, among thousands several times as much.
CLAIMABLE_TTL_S = 5.0
CLAIM_AMONG = 256


@dataclass(frozen=True)
class Claimable:
    """What the workers may claim now: ``ids`` (None: any job) and when the first of them is
    due (None: none is queued)."""

    ids: frozenset[int] | None
    next_due: float | None
    held: int = 0  # queued jobs kept back because their host is cut off


def job_url(job: ClaimedJob) -> str:
    return job.track.override_url or job.track.url


class HostGate:
    def __init__(self, watch: OfflineWatch, ledger: GateLedger) -> None:
        self.watch = watch
        self.ledger = ledger
        self._lock = threading.Lock()
        self._cached: tuple[float, frozenset[str], frozenset[int] | None, Claimable] | None = None
        self._failed: list[tuple[float, int, int]] = []  # (when, job id, track id)

    def claimable(self, scope: Collection[int] | None) -> Claimable | None:
        """None while no host is cut off (claim as usual)."""
        held = self.watch.held_hosts()
        if not held:
            return None
        key_scope = frozenset(scope) if scope is not None else None
        now = time.monotonic()
        with self._lock:
            cached = self._cached
            if cached and now - cached[0] < CLAIMABLE_TTL_S and cached[1:3] == (held, key_scope):
                return cached[3]
        hosts: dict[str, str] = {}  # many jobs share a host: parse each URL's host once
        open_jobs: list[tuple[float, int]] = []
        kept: dict[str, list[int]] = {}
        for track_id, url, retry_at in self.ledger.queued_urls(key_scope):
            prefix = url[: url.find("/", url.find("//") + 2) + 1] or url
            host = hosts.get(prefix)
            if host is None:
                host = hosts[prefix] = host_key(prefix)
            if host in held:
                kept.setdefault(host, []).append(track_id)
            else:
                open_jobs.append((retry_at or 0.0, track_id))
        self._tell_held(kept)
        soonest = heapq.nsmallest(CLAIM_AMONG, open_jobs)
        due = soonest[0][0] if soonest else None
        count = sum(len(ids) for ids in kept.values())
        result = Claimable(frozenset(track_id for _due, track_id in soonest), due, count)
        with self._lock:
            self._cached = (now, held, key_scope, result)
        return result

    def _tell_held(self, held: dict[str, list[int]]) -> None:
        """Jobs kept back say so in the ledger (``status``, ``why`` and ``get`` read it), with
        the next probe as their ``retry_at``; a job already saying so is not written again."""
        until = self.watch.next_probe_at()
        if until is None:
            return
        for host, track_ids in held.items():
            why = f"offline: cannot reach {host}; it waits for the network"
            self.ledger.wait_for_network(track_ids, until, why)

    def forget(self) -> None:
        """New work or a host back: look at the queue again at the next claim."""
        with self._lock:
            self._cached = None

    def next_probe_at(self) -> float | None:
        return self.watch.next_probe_at()

    def wait_for_network(self, job: ClaimedJob, exc: NetworkDownError) -> float | None:
        """The watch's verdict on a job that could not reach a host. Cut off: the job goes
        back until the next probe with no attempt spent (nor the attempts it and others lost
        to the same outage just before), and the time is returned. Otherwise None: an ordinary
        failure for the caller to record, noted in case the network turns out to be down."""
        until = self.watch.network_down(exc, job_host=job_url(job))
        self.forget()
        now = time.time()
        with self._lock:
            self._failed = [f for f in self._failed if now - f[0] < GIVE_BACK_S]
            if until is None:
                self._failed.append((now, job.job_id, job.track.id))
                return None
            earlier, self._failed = self._failed, []
        self.ledger.defer_job(job.job_id, job.track.id, until, f"offline: {exc}")
        counts: dict[int, int] = {}
        for _when, _job_id, track_id in earlier:
            counts[track_id] = counts.get(track_id, 0) + 1
        for track_id, count in counts.items():
            self._give_back(track_id, count, until)
        return until

    def _give_back(self, track_id: int, count: int, until: float) -> None:
        self.ledger.wait_for_network(
            [track_id],
            until,
            f"offline: {counted(count, 'attempt')} that failed for lack of network given back; "
            "it waits for the network",
            give_back=count,
        )

    def got_through(self, job: ClaimedJob) -> None:
        self.watch.got_through(job_url(job))
        with self._lock:
            self._failed = [f for f in self._failed if f[1] != job.job_id]
        self.forget()
