"""Jellyfin through its REST API, with an API key (Dashboard → API Keys).

The key travels in ``Authorization: MediaBrowser Token="…"`` (Jellyfin's own scheme). A scan is
``POST /Library/Refresh`` (204); whether one runs already is the ``State`` (``Idle``, ``Running``,
``Cancelling``) of the scheduled task whose ``Key`` is ``RefreshLibrary`` in ``GET
/ScheduledTasks``. ``GET /Library/VirtualFolders`` lists each library's ``Name`` and
``Locations`` (folders as the server sees them); ``GET /System/Info`` needs a valid key.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from spotsyncd import __version__
from spotsyncd.mediaservers.base import (
    Finding,
    MediaServerClient,
    SampleTrack,
    ScanResult,
    contains,
    unreachable,
)
from spotsyncd.mediaservers.http import ServerError

SCAN_TASK_KEY = "RefreshLibrary"
BUSY_STATES = frozenset({"Running", "Cancelling"})


class JellyfinClient(MediaServerClient):
    kind = "jellyfin"

    @property
    def headers(self) -> dict[str, str]:
        return {
            "Authorization": (
                f'MediaBrowser Client="spotsyncd", Device="spotsyncd", DeviceId="spotsyncd", '
                f'Version="{__version__}", Token="{self.cfg.api_key}"'
            ),
            "Accept": "application/json",
        }

    def _json(self, path: str, **params: str) -> Any:
        answer = self._call("GET", path, params=params or None, headers=self.headers)
        return answer.json(f"{self.label} ({path})")

    def scan_running(self) -> bool | None:
        """True while the library scan task runs; None when the server does not say."""
        tasks = self._json("/ScheduledTasks", isHidden="false")
        for task in tasks if isinstance(tasks, list) else []:
            if isinstance(task, dict) and task.get("Key") == SCAN_TASK_KEY:
                return task.get("State") in BUSY_STATES
        return None

    def request_scan(self) -> ScanResult:
        try:
            running = self.scan_running()
        except ServerError as exc:
            if exc.unreachable or exc.status in (401, 403):
                raise
            running = None  # an older server or a proxy that hides the tasks: just ask
        if running:
            return ScanResult(False, "already scanning (the library scan task is running)")
        self._call("POST", "/Library/Refresh", headers=self.headers)
        return ScanResult(True, "library scan started")

    def diagnose(self, samples: Sequence[SampleTrack]) -> list[Finding]:
        try:
            info = self._json("/System/Info")
        except ServerError as exc:
            if exc.status in (401, 403):
                return [
                    Finding(
                        "fail",
                        f"API key refused: {exc}",
                        f"create an API key in Jellyfin (Dashboard → API Keys) and put it in "
                        f"media_servers as api_key of {self.cfg.name!r}",
                    )
                ]
            return [unreachable(exc, self.cfg.url)]
        info = info if isinstance(info, dict) else {}
        name = f"{info.get('ServerName', 'Jellyfin')} {info.get('Version', '')}".strip()
        findings = [Finding("ok", f"reachable ({name}), API key accepted")]
        try:
            folders = self._json("/Library/VirtualFolders")
        except ServerError as exc:
            return [*findings, Finding("warn", f"cannot list its libraries: {exc}")]
        libraries = [f for f in folders if isinstance(f, dict)] if isinstance(folders, list) else []
        for folder in libraries:
            for location in folder.get("Locations") or []:
                if isinstance(location, str) and contains(location, self.library_path):
                    return [
                        *findings,
                        Finding(
                            "ok",
                            f"library {folder.get('Name')!r} scans {location}, which holds "
                            f"{self.library_path}",
                        ),
                    ]
        seen = ", ".join(
            f"{f.get('Name')!r}: {', '.join(map(str, f.get('Locations') or []))}" for f in libraries
        )
        return [
            *findings,
            Finding(
                "fail",
                f"no Jellyfin library contains {self.library_path} (libraries: {seen or 'none'})",
                "add the library folder to a Jellyfin music library, or set library_path of "
                f"{self.cfg.name!r} to the path Jellyfin sees (e.g. inside its container)",
            ),
        ]
