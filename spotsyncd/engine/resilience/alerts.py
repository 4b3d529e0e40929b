"""What the user hears about (``notify.on``), turned into notifications.

A thread looks every few seconds at what happened: tracks that failed for good (many of one
source with one cause told as one: failure_folds.py), follow polls that brought new tracks,
yt-dlp updates and sources turning failing or recovering (the ledger's events), the offline
circuit open longer than ``notify.offline_after``, an expired Spotify login (its circuit), free
disk space under ``notify.disk_free_below``, YouTube login cookies that expire within 7 days
(or are no good), and once a day the digest. It hands lines to ``Notifications``
(system/notify.py), which batches, rate-limits and sends them off this thread. Nothing here
touches a job.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Callable

from spotsyncd.core.config import Config
from spotsyncd.core.errors import log_problem
from spotsyncd.core.retries import format_delay, hhmm
from spotsyncd.engine.resilience.circuits import Circuits
from spotsyncd.engine.resilience.failure_folds import FailureFolds
from spotsyncd.ledger import Ledger
from spotsyncd.sources.ytdlp.cookies import cookie_state
from spotsyncd.sources.ytdlp.releases import Releases
from spotsyncd.system.notify import Notifications

log = logging.getLogger(__name__)

TICK_S = 2.0
DISK_EVERY_S = 60.0
COOKIES_EVERY_S = 3600.0

REVIEW_FOOTER = (
    "no candidate's audio was the recording asked for; 'spotsyncd tracks --state review' "
    "lists them, the dashboard plays their candidates"
)
FAILED_FOOTER = "'spotsyncd retry --failed' queues them again; 'spotsyncd why KEY' explains one"
FAILING_FOOTER = (
    "one message for them all until one works again; 'spotsyncd status' shows each "
    "source's health, 'spotsyncd extractors update' updates yt-dlp"
)
YT_DLP_EVENTS = {
    "yt_dlp_new": "a newer yt-dlp is available",
    "yt_dlp_switch": "yt-dlp updated",
    "yt_dlp_rollback": "yt-dlp rolled back",
    "yt_dlp_refused": "a yt-dlp update was refused",
}
SOURCE_EVENTS = {
    "source_failing": "a source is failing",
    "source_recovered": "a source works again",
}


class Alerts:
    def __init__(
        self,
        config: Callable[[], Config],
        ledger: Ledger,
        circuits: Circuits,
        notifications: Notifications,
        *,
        tick_s: float = TICK_S,
    ) -> None:
        self.config = config
        self.ledger = ledger
        self.circuits = circuits
        self.notifications = notifications
        self.tick_s = tick_s
        releases = Releases(config().state_dir)
        self.folds = FailureFolds(releases.describe_in_use)
        self._last_event = 0
        self._offline_since: float | None = None  # the spell we told the user about
        self._login_told = False
        self._disk_told = False
        self._disk_checked = 0.0
        self._cookies_checked = 0.0
        self._cookies_told: tuple[str, float | None] | None = None  # the verdict told
        self._digest_day: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._last_event = self.ledger.last_event_id()  # only what happens from now on
        if self._digest_due(time.time()):
            self._digest_day = time.strftime("%Y-%m-%d")  # today's time has passed already
        self._thread = threading.Thread(target=self._loop, name="spotsyncd-alerts", daemon=True)
        self._thread.start()

    def stop(self, *, wait: bool = True, timeout_s: float = 5.0) -> None:
        """Stop the thread; with ``wait``, also take a last look (what the last jobs did
        still goes out: the notifications flush on their own stop)."""
        self._stop.set()
        if not wait:
            return
        if self._thread is not None:
            self._thread.join(timeout=timeout_s)
        try:
            self.tick()  # what the last jobs did still goes out (notifications flush on stop)
        except Exception as exc:  # noqa: BLE001 - stopping must not fail over a notification
            log_problem(log, "last notification check failed", exc)

    def alive(self) -> bool:
        return self._thread is None or self._thread.is_alive()

    def _loop(self) -> None:
        while not self._stop.wait(self.tick_s):
            try:
                self.tick()
            except Exception as exc:  # noqa: BLE001 - notifications must never stop the daemon
                log_problem(log, "notification check failed; trying again", exc)

    def tick(self, now: float | None = None) -> None:
        now = time.time() if now is None else now
        settings = self.config().notify
        notifications = self.notifications
        notifications.urls, notifications.batch_s = settings.urls, settings.batch_seconds
        if not notifications.enabled:
            return
        on = set(settings.on)
        self._events(on)
        if "offline" in on:
            self._offline(now, settings.offline_after)
        if "login_expired" in on:
            self._login()
        if "disk_low" in on and now - self._disk_checked >= DISK_EVERY_S:
            self._disk_checked = now
            self._disk(settings.disk_free_below)
        if "cookies" in on and now - self._cookies_checked >= COOKIES_EVERY_S:
            self._cookies_checked = now
            self._cookies(now)
        if "digest" in on and self._digest_due(now):
            self._digest(now)

    # ------------------------------------------------------------------ the checks

    def _events(self, on: set[str]) -> None:
        kinds: tuple[str, ...] = tuple(k for k in ("failed", "new_tracks", "review") if k in on)
        if "failed" in on:
            kinds += ("waiting", "done", "circuit_open")  # folds: one summary for one cause
        if "yt_dlp" in on:
            kinds += tuple(YT_DLP_EVENTS)
        if "sources" in on:
            kinds += tuple(SOURCE_EVENTS)
        top = self.ledger.last_event_id()
        rows = self.ledger.notable_events(self._last_event, top, kinds) if kinds else []
        self._last_event = top
        failures = [r for r in rows if r["kind"] in ("failed", "waiting", "done", "circuit_open")]
        singles, summaries = self.folds.feed(failures)
        for line in summaries:
            self.notifications.post(
                "failing", line, title="downloads failing", footer=FAILING_FOOTER
            )
        for row in singles:
            self.notifications.post(
                "failed",
                f"{_who(row)}: {row['message']}",
                title="{n} track(s) failed for good",
                footer=FAILED_FOOTER,
            )
        for row in rows:
            if row["kind"] == "review":
                self.notifications.post(
                    "review",
                    f"{_who(row)}: {row['message']}",
                    title="{n} track(s) wait for your review",
                    footer=REVIEW_FOOTER,
                )
            elif row["kind"] == "new_tracks":
                self.notifications.post(
                    "new_tracks",
                    f"{row['follow'] or 'a follow'}: {row['message']}",
                    title="new tracks from {n} follow poll(s)",
                    footer="they download now; 'spotsyncd follows' lists your follows",
                )
            elif row["kind"] in YT_DLP_EVENTS:
                self.notifications.post(
                    row["kind"], str(row["message"]), title=YT_DLP_EVENTS[row["kind"]]
                )
            elif row["kind"] in SOURCE_EVENTS:
                self.notifications.post(
                    row["kind"], str(row["message"]), title=SOURCE_EVENTS[row["kind"]]
                )

    def _offline(self, now: float, after_s: float) -> None:
        circuit = self.circuits.offline_circuit()
        if circuit is not None:
            if self._offline_since != circuit.since and now - circuit.since >= after_s:
                self._offline_since = circuit.since
                self.notifications.post(
                    "offline",
                    f"{circuit.reason} (for {format_delay(now - circuit.since)} now)",
                    title=f"offline since {hhmm(circuit.since)}",
                    footer="downloads wait without spending attempts and resume by themselves",
                )
            return
        if self._offline_since is not None:
            self.notifications.post(
                "online",
                f"the network is back after {format_delay(now - self._offline_since)} "
                f"(offline since {hhmm(self._offline_since)}); downloads resume",
                title="back online",
            )
            self._offline_since = None

    def _login(self) -> None:
        spotify = self.circuits.snapshot().get("spotify") or {}
        expired = bool(spotify.get("open")) and spotify.get("error_class") == "credentials"
        if expired and not self._login_told:
            self.notifications.post(
                "login_expired",
                str(spotify.get("reason") or "Spotify refused the login"),
                title="Spotify login expired",
                footer="run 'spotsyncd auth spotify'; Spotify work waits until then",
            )
        self._login_told = expired

    def _disk(self, below: int) -> None:
        library = self.config().library_dir
        try:
            free = shutil.disk_usage(library).free
        except OSError as exc:
            log.debug("cannot read free space of %s: %s", library, exc)
            return
        if free < below and not self._disk_told:
            self._disk_told = True
            self.notifications.post(
                "disk_low",
                f"{library} has {free / 1e9:.2f} GB free (notify.disk_free_below is "
                f"{below / 1e9:.2f} GB)",
                title="disk space low",
                footer="free space there: a full disk makes downloads wait",
            )
        elif free >= below * 1.1:
            self._disk_told = False

    def _cookies(self, now: float) -> None:
        """Once per verdict: expiring soon, expired, or a file that is no good."""
        path = self.config().download.cookies_file
        if path is None:
            return
        state = cookie_state(path, now)
        told = (state.state, state.expires_at)
        if not state.needs_action:
            self._cookies_told = None
            return
        if told == self._cookies_told:
            return
        self._cookies_told = told
        titles = {"expiring": "YouTube cookies expire soon", "expired": "YouTube cookies expired"}
        self.notifications.post(
            "cookies",
            state.message,
            title=titles.get(state.state, "YouTube cookies file unusable"),
            footer=state.fix,
        )

    def _digest_due(self, now: float) -> bool:
        day = time.strftime("%Y-%m-%d", time.localtime(now))
        at = time.strftime("%H:%M", time.localtime(now)) >= self.config().notify.digest_at
        return at and self._digest_day != day

    def _digest(self, now: float) -> None:
        self._digest_day = time.strftime("%Y-%m-%d", time.localtime(now))
        day = self.ledger.summary(since=now - 86400)
        counts = self.ledger.counts()
        lines = [
            f"last 24 h: {day['done']} downloaded ({day['bytes'] / 1e6:.0f} MB), "
            f"{day['failed']} failed for good",
            f"queue now: {counts['pending']} pending, {counts['waiting']} waiting for a slow "
            f"retry, {counts['running']} running; {counts['done']} done in all",
        ]
        lines += [f"failed: {n} × {reason}" for reason, n in day["failed_by_reason"].items()]
        for line in lines:
            self.notifications.post("digest", line, title="daily digest")


def _who(row: dict[str, object]) -> str:
    """``youtube:… (Artist - Title)``, as a track is named in a notification."""
    name = " - ".join(str(x) for x in (row["artist"], row["title"]) if x)
    return f"{row['key']} ({name})" if name else str(row["key"])
