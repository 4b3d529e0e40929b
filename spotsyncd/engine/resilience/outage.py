"""One log line when a server (the database, the broker) goes away, one when it is back.

A restarted PostgreSQL or Redis must not fill the log with a traceback per attempt: every part
that talks to one keeps an ``Outage`` and reports each failure and success to it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable


class Outage:
    def __init__(self, what: str, logger: logging.Logger, fix: str = "") -> None:
        self.what = what
        self.log = logger
        self.fix = fix
        self.since: float | None = None
        self._lock = threading.Lock()

    @property
    def down(self) -> bool:
        return self.since is not None

    def failed(self, reason: str) -> None:
        with self._lock:
            if self.since is not None:
                return
            self.since = time.monotonic()
        hint = f"; {self.fix}" if self.fix else ""
        self.log.error(
            "%s is unreachable (%s); retrying until it is back%s", self.what, reason, hint
        )

    def ok(self) -> None:
        with self._lock:
            if self.since is None:
                return
            lasted, self.since = time.monotonic() - self.since, None
        self.log.warning("%s is reachable again after %.0fs; carrying on", self.what, lasted)


class OutageLogFilter(logging.Filter):
    """On every log handler: a record whose exception is the database being unreachable
    becomes the outage's one line (or nothing, while the outage is known), never a traceback,
    whichever thread logged it."""

    def __init__(self, outage: Outage, is_outage: Callable[[BaseException], bool]) -> None:
        super().__init__()
        self.outage = outage
        self.is_outage = is_outage

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        cause = self._outage_in(exc)
        if cause is None:
            return True
        if not self.outage.down:
            first = [ln for ln in str(cause).splitlines() if ln.strip()]
            self.outage.failed(first[0].strip() if first else type(cause).__name__)
        return False

    def _outage_in(self, exc: BaseException | None) -> BaseException | None:
        seen = 0
        while exc is not None and seen < 10:
            if self.is_outage(exc):
                return exc
            exc, seen = exc.__cause__ or exc.__context__, seen + 1
        return None


def install_outage_filter(outage: Outage, is_outage: Callable[[BaseException], bool]) -> None:
    """Put an ``OutageLogFilter`` on every handler of the root logger."""
    for handler in logging.getLogger().handlers:
        handler.addFilter(OutageLogFilter(outage, is_outage))
