"""``/metrics`` with the official prometheus_client: a collector that reads the ledger and the
circuits at scrape time (a private registry: no global state)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    Metric,
    SummaryMetricFamily,
)
from prometheus_client.registry import Collector

from spotsyncd.engine.resilience.circuits import circuit_states

if TYPE_CHECKING:
    from spotsyncd.api.context import WebContext

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class LedgerCollector(Collector):
    def __init__(self, ctx: WebContext) -> None:
        self.ctx = ctx

    def collect(self) -> Iterator[Metric]:
        slow = self.ctx.status_cache.get(self.ctx.ledger)
        jobs = GaugeMetricFamily("spotsyncd_jobs", "Jobs by state", labels=["state"])
        for state, count in sorted(slow["jobs"].items()):
            jobs.add_metric([state], count)
        yield jobs
        summary = slow["overall"]
        yield SummaryMetricFamily(
            "spotsyncd_job_duration_seconds",
            "Download + processing time of the filed tracks",
            count_value=summary["done"],
            sum_value=summary["download_seconds"] + summary["process_seconds"],
        )
        yield CounterMetricFamily(
            "spotsyncd_downloads", "Tracks downloaded and filed", value=summary["done"]
        )
        yield CounterMetricFamily(
            "spotsyncd_downloaded_bytes", "Size of the filed tracks", value=summary["bytes"]
        )
        for name, key, text in (
            ("spotsyncd_download_seconds", "download_seconds", "Time spent downloading"),
            ("spotsyncd_process_seconds", "process_seconds", "Time spent processing audio"),
        ):
            yield CounterMetricFamily(name, text, value=summary[key])
        failures = CounterMetricFamily(
            "spotsyncd_failures", "Tracks failed for good, by error class", labels=["error_class"]
        )
        for reason, count in sorted(summary["failed_by_reason"].items()):
            failures.add_metric([reason], count)
        yield failures
        circuits = GaugeMetricFamily(
            "spotsyncd_circuit_open", "1 while a service's circuit is open", labels=["service"]
        )
        for lane, circuit in circuit_states(
            self.ctx.config.state_dir / "circuits.json", self.ctx.ledger
        ).items():
            circuits.add_metric([lane], 1.0 if circuit.get("open") else 0.0)
        yield circuits
        yield from _yt_dlp_and_sources(self.ctx)
        yield GaugeMetricFamily(
            "spotsyncd_web_event_clients",
            "Connected /events clients",
            value=self.ctx.hub.subscribers,
        )


def _yt_dlp_and_sources(ctx: WebContext) -> Iterator[Metric]:
    """The yt-dlp in use and its age; each source's health (1 ok, 0 failing)."""
    from spotsyncd.engine.health.status import source_rows, yt_dlp_status

    info = yt_dlp_status(ctx.config)
    ytdlp = GaugeMetricFamily(
        "spotsyncd_yt_dlp_info",
        "The yt-dlp in use (always 1), its version and where it comes from",
        labels=["version", "where", "newest"],
    )
    ytdlp.add_metric([str(info["version"]), info["where"], str(info["newest"] or "")], 1.0)
    yield ytdlp
    if info["age_days"] is not None:
        yield GaugeMetricFamily(
            "spotsyncd_yt_dlp_age_seconds",
            "Age of the yt-dlp release in use (its version is its date)",
            value=float(info["age_days"]) * 86400,
        )
    health = GaugeMetricFamily(
        "spotsyncd_source_up",
        "1 while a source's canary passes, 0 while failing",
        labels=["source"],
    )
    since = GaugeMetricFamily(
        "spotsyncd_source_state_since_seconds",
        "When a source's present state (ok or failing) began, UNIX time",
        labels=["source"],
    )
    for row in source_rows(ctx.ledger):
        health.add_metric([row["name"]], 1.0 if row["state"] == "ok" else 0.0)
        since.add_metric([row["name"]], float(row["since"]))
    yield health
    yield since


def render(ctx: WebContext) -> tuple[bytes, str]:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(LedgerCollector(ctx))
    return generate_latest(registry), CONTENT_TYPE
