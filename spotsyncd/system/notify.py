"""Notifications through Apprise: the only module that imports ``apprise``.

``Notifications.post`` never blocks and never raises: it files a line under a kind of event
("failed", "new_tracks", …) and returns. A sender thread turns the lines waiting under one kind
into ONE message (a storm of 500 failures is one message listing the first few and counting the
rest) and sends at most one message per kind per ``batch_s`` (rate limit). A failed send is
logged (URLs redacted: they hold tokens) and dropped: notifications never hold up a job.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from spotsyncd.core.config_values import redact_url, secret_parts

log = logging.getLogger(__name__)

MAX_LINES = 15  # lines listed in one message; the rest are counted
SETTLE_S = 3.0  # after the first event of a quiet kind, wait this long for its companions


@dataclass(frozen=True)
class Delivery:
    """What happened to one message at one URL (the URL redacted)."""

    url: str
    ok: bool
    detail: str = ""


Sender = Callable[[Sequence[str], str, str], list[Delivery]]


@dataclass
class _Pending:
    title: str  # e.g. "{n} tracks failed for good"; {n} is the number of lines
    lines: list[str] = field(default_factory=list)
    footer: str = ""
    first_at: float = 0.0


def redact(text: str, urls: Sequence[str]) -> str:
    """``text`` with every secret part of ``urls`` replaced by ``***``."""
    for url in urls:
        for part in secret_parts(url):
            text = text.replace(part, "***")
    return text


def send_apprise(urls: Sequence[str], title: str, body: str) -> list[Delivery]:
    """Send one message to each URL (one by one, so each gets its own verdict)."""
    import apprise  # heavy: imported only when a message goes out

    # Apprise's debug and info lines spell out the URLs it posts to (tokens included): keep
    # only its warnings, with every secret part of our URLs masked.
    apprise_log = logging.getLogger("apprise")
    apprise_log.setLevel(logging.WARNING)
    if not any(isinstance(f, _Redactor) for f in apprise_log.filters):
        apprise_log.addFilter(_Redactor())
    _Redactor.urls.update(urls)
    deliveries: list[Delivery] = []
    for url in urls:
        shown = redact_url(url)
        sender = apprise.Apprise()
        if not sender.add(url):
            deliveries.append(Delivery(shown, False, "Apprise does not understand this URL"))
            continue
        capturing = apprise.LogCapture(level=logging.WARNING, fmt="%(message)s")  # type: ignore[no-untyped-call]
        with capturing as capture:
            try:
                ok = bool(sender.notify(title=title, body=body))
            except Exception as exc:  # noqa: BLE001 - a plugin bug must not reach a job
                ok = False
                capture.write(f"{type(exc).__name__}: {exc}")
            said = capture.getvalue()
        detail = redact(" ".join(said.split()), [url])[:300]
        deliveries.append(Delivery(shown, ok, "" if ok else detail or "not delivered"))
    return deliveries


class _Redactor(logging.Filter):
    urls: set[str] = set()  # every URL ever handed to Apprise in this process

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage(), sorted(self.urls))
        record.args = None
        return True


class Notifications:
    def __init__(
        self,
        urls: Sequence[str],
        *,
        batch_s: float = 60.0,
        sender: Sender = send_apprise,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.urls = tuple(urls)
        self.batch_s = batch_s
        self.sender = sender
        self.clock = clock
        self._pending: dict[str, _Pending] = {}
        self._last_sent: dict[str, float] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.sent = 0  # messages handed to Apprise (for tests and the log)

    @property
    def enabled(self) -> bool:
        return bool(self.urls)

    def post(self, kind: str, line: str, *, title: str, footer: str = "") -> None:
        """File ``line`` under ``kind``; it goes out with the others of its kind. ``title``
        may use ``{n}`` (how many lines the message holds). Never blocks, never raises."""
        if not self.enabled:
            return
        with self._lock:
            pending = self._pending.get(kind)
            if pending is None:
                pending = self._pending[kind] = _Pending(title, first_at=self.clock())
            pending.title, pending.footer = title, footer
            pending.lines.append(line)
        self._wake.set()

    # ------------------------------------------------------------------ the sender thread

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="spotsyncd-notify", daemon=True)
        self._thread.start()

    def stop(self, *, flush_s: float = 2.0) -> None:
        """Stop; what is still waiting is sent now, if that takes under ``flush_s`` (a stop
        must stay quick: a send still going on is abandoned with the process)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=flush_s)

    def alive(self) -> bool:
        return self._thread is None or self._thread.is_alive()

    def _loop(self) -> None:
        while not self._stop.is_set():
            wait = self._send_due()
            self._wake.wait(wait)
            self._wake.clear()
        self._send_due(flush=True)

    def _send_due(self, *, flush: bool = False) -> float:
        """Send every kind whose batch is ready; returns how long until the next one is."""
        now = self.clock()
        ready: list[tuple[str, _Pending]] = []
        next_in = 3600.0
        with self._lock:
            for kind, pending in list(self._pending.items()):
                due = max(pending.first_at + min(SETTLE_S, self.batch_s),
                          self._last_sent.get(kind, -1e12) + self.batch_s)  # fmt: skip
                if flush or due <= now:
                    ready.append((kind, self._pending.pop(kind)))
                    self._last_sent[kind] = now
                else:
                    next_in = min(next_in, due - now)
        for kind, pending in ready:
            self._deliver(kind, pending)
        return max(0.05, next_in)

    def _deliver(self, kind: str, pending: _Pending) -> None:
        title, body = compose(pending)
        try:
            deliveries = self.sender(self.urls, title, body)
        except Exception as exc:  # noqa: BLE001 - never let a notification take a thread down
            deliveries = [Delivery("*", False, redact(f"{type(exc).__name__}: {exc}", self.urls))]
        self.sent += 1
        for delivery in deliveries:
            if delivery.ok:
                log.info("notified %s: %s", delivery.url, title)
            else:
                log.warning(
                    "notification %r to %s failed: %s (check notify.urls; "
                    "'spotsyncd notify test' tries one)",
                    title,
                    delivery.url,
                    delivery.detail,
                )


def compose(pending: _Pending) -> tuple[str, str]:
    """One message for a batch: a counted title, the first lines, and how many more."""
    count = len(pending.lines)
    title = "spotsyncd: " + pending.title.format(n=count)
    lines = [f"- {line}" for line in pending.lines[:MAX_LINES]]
    if count > MAX_LINES:
        lines.append(f"… and {count - MAX_LINES} more")
    if pending.footer:
        lines += ["", pending.footer]
    return title, "\n".join(lines)
