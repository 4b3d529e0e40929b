"""Tell the media servers about new files: one scan request per server per quiet period.

Producers call ``library_changed()`` (a playlist or its artwork was rewritten) or
``maybe_changed()`` (a job ended; the ``probe`` — the ledger's last filing time — says whether a
file was filed). Both only set a flag: the requests run on this module's own thread, with
timeouts, so a slow or dead server never delays a job. After ``quiet_s`` without further changes
(or ``max_wait_s`` into a long burst) each server is asked once; a server that is scanning
already is not asked, and is looked at again one quiet period later. A server that cannot be
asked is logged once per outage (WARNING) and when it answers again (INFO); it is retried at the
next change, not in a loop.

Every "when" is read from ``clock`` (``time.monotonic`` by default). A caller that moves a clock
of its own (tests) leaves the thread unstarted and calls ``send_if_due()`` at the times it
chooses: the same decision the thread takes, at an exact time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Protocol

from spotsyncd.mediaservers.base import ScanResult
from spotsyncd.mediaservers.http import ServerError

log = logging.getLogger(__name__)


class Scannable(Protocol):
    """A media server client (``base.MediaServerClient``)."""

    @property
    def label(self) -> str: ...

    def request_scan(self) -> ScanResult: ...


class RescanDebouncer:
    def __init__(
        self,
        clients: Sequence[Scannable],
        *,
        quiet_s: float,
        max_wait_s: float | None = None,
        probe: Callable[[], object] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.clients: Sequence[Scannable] = list(clients)
        self.quiet_s = quiet_s
        self.max_wait_s = max_wait_s if max_wait_s is not None else max(quiet_s * 10, 600.0)
        self.probe = probe
        self.clock = clock
        self.requests = 0  # scan requests sent (for tests and status)
        self._cond = threading.Condition()
        self._first: float | None = None  # first change of the current burst
        self._last: float | None = None  # latest change of the current burst
        self._certain = False  # the burst holds a change the probe cannot see
        self._busy: set[str] = set()  # servers that were scanning: look again later
        self._recheck_at: float | None = None
        self._down: dict[str, str] = {}  # server label → the failure logged
        self._seen: object = None
        self._stopping = False
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ producers (cheap)
    def library_changed(self) -> None:
        self._mark(certain=True)

    def maybe_changed(self) -> None:
        self._mark(certain=False)

    def _mark(self, *, certain: bool) -> None:
        if not self.clients:
            return
        with self._cond:
            now = self.clock()
            self._first = now if self._first is None else self._first
            self._last = now
            self._certain = self._certain or certain
            self._cond.notify_all()

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        if not self.clients or self._thread is not None:
            return
        self._seen = self._read_probe()
        self._thread = threading.Thread(target=self._loop, name="spotsyncd-rescan", daemon=True)
        self._thread.start()

    def stop(self, *, flush_timeout_s: float = 3.0) -> None:
        """Stop the thread; a burst still waiting for its quiet period is sent now, within
        ``flush_timeout_s`` (so ``run --once`` and a shutdown after a batch still tell them)."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=flush_timeout_s)
            if self._thread.is_alive():
                return  # still waiting on a slow server: do not ask twice
            self._thread = None
        if self._first is not None and self.clients:
            self._fire(deadline=self.clock() + flush_timeout_s)

    def flush(self) -> None:
        """Send what is waiting now, in this thread (``media-servers test`` and tests)."""
        self._fire(deadline=None)

    def send_if_due(self) -> bool:
        """Ask the servers now, in this thread, if the quiet period (or ``max_wait_s``) is over
        by ``clock``, as the thread would; whether it was (a burst of jobs that filed nothing
        is due too, and asks no server)."""
        with self._cond:
            if not self._is_due():
                return False
        self._fire(deadline=None)
        return True

    # ------------------------------------------------------------------ the thread
    def _due_at(self) -> float | None:
        due = None
        if self._first is not None and self._last is not None:
            due = min(self._last + self.quiet_s, self._first + self.max_wait_s)
        if self._busy and self._recheck_at is not None:
            due = self._recheck_at if due is None else min(due, self._recheck_at)
        return due

    def _is_due(self) -> bool:
        due = self._due_at()
        return due is not None and due <= self.clock()

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._stopping and not self._is_due():
                    due = self._due_at()
                    self._cond.wait(None if due is None else due - self.clock())
                if self._stopping:
                    return
            try:
                self._fire(deadline=None)
            except Exception:  # noqa: BLE001 - telling servers must never end the daemon
                log.exception("media servers: could not ask for a rescan")

    def _fire(self, *, deadline: float | None) -> None:
        with self._cond:
            burst = self._first is not None
            certain = self._certain
            self._first = self._last = None
            self._certain = False
            busy, self._busy, self._recheck_at = self._busy, set(), None
        if burst and self.probe is not None:
            seen = self._read_probe()
            if seen == self._seen and not certain:
                burst = False  # jobs ended, but nothing new was filed
            self._seen = seen
        for client in self.clients:
            if not burst and client.label not in busy:
                continue
            if deadline is not None and self.clock() > deadline:
                log.warning("%s: not asked for a rescan: spotsyncd is stopping", client.label)
                continue
            self._ask(client)

    def _ask(self, client: Scannable) -> None:
        label = client.label
        try:
            result = client.request_scan()
        except ServerError as exc:
            self._failed(label, str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - a client bug is one server's outage
            self._failed(label, f"internal error: {exc!r}")
            return
        if label in self._down:
            log.info("%s answers again: %s", label, result.detail)
            del self._down[label]
        if result.started:
            self.requests += 1
            log.info("%s: %s", label, result.detail)
        else:
            log.info("%s: %s; looking again in %.0fs", label, result.detail, self.quiet_s)
            with self._cond:
                self._busy.add(label)
                self._recheck_at = self.clock() + self.quiet_s
                self._cond.notify_all()

    def _failed(self, label: str, message: str) -> None:
        if label in self._down:
            log.debug("%s: still cannot ask for a rescan: %s", label, message)
        else:
            log.warning(
                "%s: could not ask for a rescan (%s); it is asked again after the next change, "
                "and this is not logged again until it answers",
                label,
                message,
            )
        self._down[label] = message

    def _read_probe(self) -> object:
        if self.probe is None:
            return None
        try:
            return self.probe()
        except Exception:  # noqa: BLE001 - a busy ledger: count it as a change
            log.debug("media servers: library probe failed", exc_info=True)
            return object()

    def down(self) -> dict[str, str]:
        """Servers that could not be asked last time, with why."""
        return dict(self._down)
