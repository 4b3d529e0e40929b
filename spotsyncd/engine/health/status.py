"""What ``spotsyncd status`` and the web API's ``GET /status`` say: one function, one shape."""

from __future__ import annotations

import json
import shutil
import threading
import time
from pathlib import Path
from typing import Any

from spotsyncd.core.config import Config
from spotsyncd.core.models import JobState
from spotsyncd.engine.health.youtube import cookies_state
from spotsyncd.engine.resilience.budgets import SOURCES
from spotsyncd.engine.resilience.circuits import circuit_states
from spotsyncd.ledger import Ledger


def runtime_info(config: Config) -> dict[str, Any]:
    """What the running daemon last wrote to ``<state_dir>/runtime.json`` ({} when none)."""
    try:
        data = json.loads((config.state_dir / "runtime.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def daemon_info(config: Config) -> dict[str, Any]:
    from spotsyncd.system.lock import holder_pid

    pid = holder_pid(config.state_dir)
    info: dict[str, Any] = {"running": bool(pid), "pid": pid if pid and pid > 0 else None}
    runtime = runtime_info(config)
    if pid and runtime.get("started_at"):
        info["uptime_s"] = round(time.time() - float(runtime["started_at"]), 1)
        info["version"] = runtime.get("version")
    return info


def web_info(config: Config, running: bool) -> dict[str, Any]:
    """Whether the web API is on, where, and if it is off, why."""
    if not config.web.enabled:
        return {"enabled": False, "running": False, "url": None, "error": None}
    web = runtime_info(config).get("web") if running else None
    if isinstance(web, dict):
        return {
            "enabled": True,
            "running": bool(web.get("running")),
            "url": web.get("url"),
            "error": web.get("error"),
        }
    return {"enabled": True, "running": False, "url": None, "error": "the daemon is not running"}


def ledger_status(ledger: Ledger) -> dict[str, Any]:
    """The slow part of the status (aggregates over every track): counts by state, today,
    overall, recent failures, follows due."""
    day_start = time.mktime(time.localtime()[:3] + (0, 0, 0, 0, 0, -1))
    return {
        "jobs": ledger.counts(),
        "today": ledger.summary(since=day_start),
        "overall": ledger.summary(),
        "recent_failures": [
            {"key": t.key, "title": t.title, "error_class": t.error_class, "error": t.error}
            for t in ledger.recent_failures(5)
        ],
        "follows_due": _follows_due(ledger),
        "next_slow_retry_at": ledger.next_slow_retry_at(),
    }


class StatusCache:
    """Keeps ``ledger_status`` until the event log moves on (every state change writes an
    event), the day changes, or ``max_age_s`` passes; the live parts are read every time.
    The web API answers ``/status`` from it: aggregates over 100,000 tracks take far longer
    than a request should."""

    def __init__(self, max_age_s: float = 10.0) -> None:
        self.max_age_s = max_age_s
        self._lock = threading.Lock()
        self._key: tuple[int, int] | None = None
        self._at = 0.0
        self._value: dict[str, Any] = {}

    def get(self, ledger: Ledger) -> dict[str, Any]:
        key = (ledger.last_event_id(), time.localtime().tm_yday)
        with self._lock:
            if key == self._key and time.monotonic() - self._at < self.max_age_s:
                return self._value
        value = ledger_status(ledger)
        with self._lock:
            self._key, self._at, self._value = key, time.monotonic(), value
        return value


def status_data(config: Config, ledger: Ledger, cache: StatusCache | None = None) -> dict[str, Any]:
    """Daemon, queue by state, in-flight jobs with progress, today/overall, failures, circuits,
    follows due, disk space, web, the cookies file's YouTube login."""
    in_flight = [
        {"key": t.key, "title": t.title, "artist": t.artist, "url": t.url, **(t.progress or {})}
        for t in ledger.running()
    ]
    slow = cache.get(ledger) if cache is not None else ledger_status(ledger)
    daemon = daemon_info(config)
    data: dict[str, Any] = {
        "daemon": daemon,
        "jobs": slow["jobs"],
        "in_flight": in_flight,
        "today": slow["today"],
        "overall": slow["overall"],
        "recent_failures": slow["recent_failures"],
        "follows_due": slow["follows_due"],
        "next_slow_retry_at": slow["next_slow_retry_at"],
        "circuits": circuit_states(config.state_dir / "circuits.json", ledger),
        "budgets": budgets_status(config, ledger),
        "workers": workers_status(config, ledger),
        "web": web_info(config, daemon["running"]),
    }
    try:
        data["disk_free_bytes"] = shutil.disk_usage(config.library_dir).free
    except OSError:
        data["disk_free_bytes"] = None
    data["yt_dlp"] = yt_dlp_status(config)
    data["sources"] = source_rows(ledger)
    data["inbox_dir"] = str(config.inbox_dir)
    data["library_dir"] = str(config.library_dir)
    cookies = cookies_state(config)
    data["cookies"] = cookies.to_json() if cookies is not None else None
    if config.youtube.api_key:
        from spotsyncd.sources.youtube_api import QUOTA_FILE, read_quota

        used = read_quota(config.state_dir / QUOTA_FILE)
        data["youtube_api"] = {
            "day": used["day"],  # the API's day (Pacific time)
            "units_used": used["units"],
            "daily_quota": config.youtube.daily_quota,
        }
    return data


WORKERS_LISTED_S = 3600.0  # workers seen within the last hour are listed (stopped ones too)


def workers_status(config: Config, ledger: Ledger) -> list[dict[str, Any]]:
    """Each process that runs or dispatches jobs for this ledger, with its own state: "ok",
    "offline" (its machine has no network: it takes no job), "silent" (no heartbeat for
    ``queue.worker_timeout``: gone or stuck) or "stopped"."""
    if config.queue.backend != "celery":
        return []
    now = time.time()
    listed = []
    for row in ledger.recent_workers(WORKERS_LISTED_S):
        if row.stopped_at is not None:
            state = "stopped"
        elif now - row.seen_at > config.queue.worker_timeout_s:
            state = "silent"
        else:
            state = row.state or "ok"
        listed.append({
            "name": row.name, "role": row.role, "host": row.host, "version": row.version,
            "concurrency": row.concurrency, "seen_at": row.seen_at, "state": state,
            "reason": row.state_reason if state == "offline" else None,
        })  # fmt: skip
    return listed


def budgets_status(config: Config, ledger: Ledger) -> dict[str, dict[str, Any]]:
    """Each source's budget (``sources.*``) and the turns under way now, across processes."""
    held = ledger.turns_held()
    shown = {}
    for source in SOURCES:
        concurrent, interval = config.sources.limit_of(source)
        shown[source] = {
            "max_concurrent": concurrent, "min_interval_s": interval,
            "in_use": held.get(source, 0),
        }  # fmt: skip
    return shown


def yt_dlp_status(config: Config) -> dict[str, Any]:
    """The yt-dlp in use: version, where from, age, the newest release known (files only)."""
    from spotsyncd.extractors.updater import Updater

    data = Updater(config, None).status()
    return {k: data[k] for k in YT_DLP_KEYS}


YT_DLP_KEYS = (
    "version", "where", "age_days", "too_old", "newest", "update_available", "auto_update",
    "previous",
)  # fmt: skip


def source_rows(ledger: Ledger) -> list[dict[str, Any]]:
    """Each source's health (ok, or failing since when, why, and what to do)."""
    return [
        {
            "name": row["name"],
            "state": row["state"],
            "since": row["since"],
            "checked_at": row["checked_at"],
            "error_class": row["error_class"],
            "error": row["error"],
            "fix": row["fix"],
        }
        for row in ledger.health_rows()
    ]


def _follows_due(ledger: Any) -> list[dict[str, Any]]:
    follows = getattr(ledger, "follows", None)
    if follows is None:
        return []
    try:
        rows = follows()
    except Exception:  # noqa: BLE001 - an older ledger without follows simply has none
        return []
    due = sorted(
        (f for f in rows if getattr(f, "next_poll_at", None)), key=lambda f: f.next_poll_at
    )
    return [
        {"name": f.name, "next_poll_at": f.next_poll_at, "error": getattr(f, "error", None)}
        for f in due[:5]
    ]


def why_data(ledger: Ledger, library_dir: Path, key: str) -> dict[str, Any] | None:
    """What ``spotsyncd why`` and ``GET /tracks/{key}`` say about one track: its row, history,
    match candidates and (for a list) its items. ``row`` and ``children`` are ledger rows."""
    track = ledger.track(key)
    if track is None:
        return None
    file_present = None
    if track.state == JobState.DONE and track.path:
        file_present = (library_dir / track.path).is_file()
    return {
        **track.to_json(),
        "override_url": track.override_url,
        "file_present": file_present,
        "events": ledger.events_for(track.id),
        "candidates": ledger.candidates(key),
        "row": track,
        "children": ledger.children(track.id),
    }
