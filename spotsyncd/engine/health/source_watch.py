"""The daemon's source health watch: every canary (canaries.py) a little after start and then
every ``sources.check_every``, each result kept in the ledger (``source_health``). A source that
turns failing, and one that recovers, is one log line and one event (``source_failing``,
``source_recovered``), which the alerts turn into one notification each."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from spotsyncd.core.background import Background
from spotsyncd.core.config import Config
from spotsyncd.core.errors import network_down_cause
from spotsyncd.core.retries import hhmm
from spotsyncd.engine.health.canaries import Canary, fix_for
from spotsyncd.engine.health.checks import Check
from spotsyncd.ledger import Ledger

log = logging.getLogger(__name__)

FIRST_ROUND_AFTER_S = 30.0


class SourceWatch(Background):
    name = "spotsyncd-sources"
    problem = "source health check failed; trying again later"

    def __init__(
        self,
        config: Callable[[], Config],
        ledger: Ledger,
        canaries: Callable[[], list[Canary]],
        *,
        first_round_after_s: float = FIRST_ROUND_AFTER_S,
    ) -> None:
        super().__init__(log, first_round_after_s)
        self.config = config
        self.ledger = ledger
        self.canaries = canaries

    def every_s(self) -> float:
        return float(self.config().sources.check_every_s)

    def round(self) -> None:
        self.run_round()

    def run_round(self) -> dict[str, str | None]:
        """Run every canary once; returns each source's change (failing, recovered or None)."""
        changes: dict[str, str | None] = {}
        for canary in self.canaries():
            if self._stop.is_set():
                break
            changes[canary.name] = self._run(canary)
        return changes

    def _run(self, canary: Canary) -> str | None:
        started = time.time()
        try:
            canary.check()
        except Exception as exc:  # noqa: BLE001 - a canary's failure is its finding
            error_class = _error_class(exc)
            error = str(exc) or type(exc).__name__
            fix = fix_for(canary, error_class)
            change = self.ledger.record_health(
                canary.name, ok=False, error_class=error_class, error=error, fix=fix, now=started
            )
            if change == "failing":
                message = f"{canary.name}: failing since {hhmm(started)} ({error_class}): {error}"
                log.warning("source %s; %s", message, fix)
                self.ledger.event("warning", "source_failing", f"{message}; {fix}")
            else:
                log.debug("source %s still failing: %s", canary.name, error)
            return change
        change = self.ledger.record_health(canary.name, ok=True, now=started)
        if change == "recovered":
            message = f"{canary.name}: works again (checked at {hhmm(started)})"
            log.info("source %s", message)
            self.ledger.event("info", "source_recovered", message)
        return change


def _error_class(exc: Exception) -> str:
    """The failure's class; a host that could not be reached at all (no DNS, no route) is the
    network's, whatever exception the source wraps it in."""
    named = str(getattr(exc, "error_class", "") or "")
    if not named and network_down_cause(exc) is not None:
        return "network_down"
    return named or type(exc).__name__.lower()


def check_sources_now(config: Config) -> list[Check]:
    """``doctor --sources``: every canary once, now, recorded in the ledger like the daemon's
    own rounds (a source turning failing or recovering is an event the daemon notifies)."""
    from spotsyncd.engine.health.canaries import canaries_for
    from spotsyncd.engine.wiring import build_adapters

    ledger = Ledger(config.ledger_target)
    try:
        adapters = build_adapters(config)
        watch = SourceWatch(lambda: config, ledger, lambda: canaries_for(config, ledger, adapters))
        watch.run_round()
        rows = ledger.health_rows()
    finally:
        ledger.close()
    checks = []
    for row in rows:
        if row["state"] == "ok":
            checks.append(Check(f"source {row['name']}", "ok", "its canary passed"))
            continue
        since = time.strftime("%Y-%m-%d %H:%M", time.localtime(row["since"]))
        detail = f"failing since {since} ({row['error_class']}): {row['error']}"
        checks.append(Check(f"source {row['name']}", "warn", detail, row["fix"] or ""))
    return checks
