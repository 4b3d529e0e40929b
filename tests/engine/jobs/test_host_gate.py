"""The host gate with a real ledger and a watch whose probes are scripted: jobs of cut-off hosts
stay out of the claims, the others are claimable, and attempts lost to the network before the
outage was confirmed are given back (out of a slow retry)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from spotsyncd.core.errors import NetworkDownError
from spotsyncd.engine.jobs.host_gate import CLAIM_AMONG, HostGate
from spotsyncd.engine.resilience.circuits import Circuits
from spotsyncd.engine.resilience.offline import OfflineWatch
from spotsyncd.intake.links import parse_line
from spotsyncd.ledger import Ledger
from spotsyncd.system.netcheck import Reach


class Probes:
    """Every host is down while ``down`` is set; otherwise every host answers."""

    def __init__(self) -> None:
        self.down = False

    def __call__(self, urls: Sequence[str]) -> list[Reach]:
        from spotsyncd.engine.resilience.offline import host_key

        return [
            Reach(u, host_key(u), not self.down, "dns" if self.down else "ok", "x", 0.0)
            for u in urls
        ]


def _gate(tmp_path: Path) -> tuple[HostGate, Ledger, Probes]:
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    probes = Probes()
    watch = OfflineWatch(
        Circuits(tmp_path / "circuits.json"),
        lambda: ["https://check.example/"],
        probe_every_s=lambda: 60.0,
        prober=probes,
        recheck_s=0.0,  # every failure is judged afresh (the daemon trusts a probe for 5 s)
    )
    return HostGate(watch, ledger), ledger, probes


def test_jobs_of_cut_off_hosts_are_not_claimable(tmp_path: Path) -> None:
    gate, ledger, probes = _gate(tmp_path)
    try:
        lines = ["http://far.example/a.mp3", "http://127.0.0.1:9/b.mp3", "http://far.example/c.mp3"]
        ledger.add_links([parse_line(line) for line in lines])
        assert gate.claimable(None) is None  # nothing cut off: claim as usual
        job = ledger.claim_next_job("w1")
        assert job is not None and job.track.url == "http://far.example/a.mp3"
        probes.down = True
        error = NetworkDownError("no name", host="far.example")
        until = gate.wait_for_network(job, error)
        assert until is not None and until > time.time() + 30
        (far,) = ledger.tracks_by_ids([job.track.id])
        assert far.state == "pending" and far.attempts == 0 and str(far.error).startswith("offline")
        gated = gate.claimable(None)
        assert gated is not None and gated.held == 2
        # The other job of the cut-off host, never tried, says why it waits, until when.
        other = ledger.track("url:http://far.example/c.mp3")
        assert other is not None and other.attempts == 0 and other.retry_at == until
        assert other.error == "offline: cannot reach far.example:80; it waits for the network"
        near = ledger.track("url:http://127.0.0.1:9/b.mp3")
        assert near is not None and gated.ids == {near.id}
        assert ledger.claim_next_job("w1", only=gated.ids).track.id == near.id  # type: ignore[union-attr]
    finally:
        ledger.close()


def test_attempts_lost_before_the_outage_was_confirmed_are_given_back(tmp_path: Path) -> None:
    gate, ledger, probes = _gate(tmp_path)
    try:
        ledger.add_links([parse_line("http://far.example/a.mp3")])
        error = NetworkDownError("refused", host="far.example")
        for _attempt in range(2):  # the check host answers: the host's own problem, spent
            job = ledger.claim_next_job("w1", now=time.time() + 3600)
            assert job is not None
            assert gate.wait_for_network(job, error) is None
            ledger.fail_job(job.job_id, job.track.id, error_class="network_down",
                            message=str(error), retryable=True, max_retries=1, backoff_s=0.1,
                            slow_retries=[3600.0])  # fmt: skip
        (track,) = ledger.tracks()
        assert track.state == "waiting" and track.attempts == 2  # parked in a slow retry
        probes.down = True  # now the network is down: confirmed at the next failure
        job = ledger.claim_next_job("w1", now=time.time() + 7200)
        assert job is not None and job.attempts == 3
        until = gate.wait_for_network(job, error)
        assert until is not None
        (track,) = ledger.tracks()
        assert track.state == "pending" and track.attempts == 0
        assert track.retry_at == until
        assert any("given back" in e["message"] for e in ledger.events_for(track.id))
    finally:
        ledger.close()


def test_a_claim_is_limited_to_the_soonest_due_jobs(tmp_path: Path) -> None:
    """With thousands queued, a claim among all their ids would be slow: the gate hands the
    workers the soonest due few hundred, which holds the job a plain claim would take."""
    gate, ledger, probes = _gate(tmp_path)
    try:
        lines = ["http://far.example/a.mp3"] + [f"http://127.0.0.1:9/{n}.mp3" for n in range(300)]
        ledger.add_links([parse_line(line) for line in lines])
        job = ledger.claim_next_job("w1")
        assert job is not None and job.track.url == "http://far.example/a.mp3"
        probes.down = True
        assert gate.wait_for_network(job, NetworkDownError("no name", host="far.example"))
        gated = gate.claimable(None)
        assert gated is not None and gated.held == 1 and len(gated.ids) == CLAIM_AMONG
        first = ledger.track("url:http://127.0.0.1:9/0.mp3")
        assert first is not None and first.id in gated.ids and gated.next_due == 0.0
    finally:
        ledger.close()
