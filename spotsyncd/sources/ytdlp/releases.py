"""Which yt-dlp the daemon runs: the one installed with spotsyncd, or a newer release that
``spotsyncd extractors update`` (or ``extractors.auto_update: install``) put in a folder under
the state dir. Files only, no import of ``yt_dlp``: ``status``, ``doctor`` and ``/metrics`` read
the version without paying for yt-dlp's import.

Layout, under ``<state_dir>/yt-dlp-releases/``: one folder per release (``2026.11.30/``, made
by ``pip install --target``) and ``active.json``, the pointer every process reads::

    {"active": "2026.11.30" | null,      # null: the installed yt-dlp
     "previous": "2026.11.23" | null,    # what a rollback returns to ("installed": the installed)
     "probation": {"sources": [...], "downloads": 3} | null,
     "history": [{"at", "kind": switch|rollback, "from", "to", "reason", "announced"}]}

The pointer is replaced atomically; a process switches its yt-dlp when it sees the pointer change
(``runtime.py``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import tempfile
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

RELEASES_DIR = "yt-dlp-releases"
POINTER_FILE = "active.json"
NEWEST_FILE = "newest.json"  # the updater's last look at the index (extractors/updater.py)
INSTALLED = "installed"  # the yt-dlp installed beside spotsyncd, as a pointer's value
HISTORY_KEPT = 20
_VERSION = re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})(?:\.(\d+))?$")


def version_key(version: str) -> tuple[int, ...] | None:
    """yt-dlp's versions are dates (``2026.11.30``, a same-day rebuild ``2026.11.30.1``);
    a comparable tuple, or None for anything else."""
    found = _VERSION.match(version.strip())
    if found is None:
        return None
    return tuple(int(part) for part in found.groups(default="0"))


def release_date(version: str) -> dt.date | None:
    key = version_key(version)
    if key is None:
        return None
    try:
        return dt.date(key[0], key[1], key[2])
    except ValueError:
        return None


def age_days(version: str, today: dt.date | None = None) -> int | None:
    """How many days old a release is (None when the version is no date)."""
    released = release_date(version)
    if released is None:
        return None
    return max(0, ((today or dt.date.today()) - released).days)


def is_newer(candidate: str, than: str) -> bool:
    new, old = version_key(candidate), version_key(than)
    return new is not None and old is not None and new > old


def installed_version() -> str | None:
    """The version of the yt-dlp installed beside spotsyncd (its package metadata)."""
    try:
        return metadata.version("yt-dlp")
    except metadata.PackageNotFoundError:
        return None


@dataclass
class Pointer:
    active: str | None = None
    previous: str | None = None
    probation: dict[str, Any] | None = None
    history: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "active": self.active,
            "previous": self.previous,
            "probation": self.probation,
            "history": self.history[-HISTORY_KEPT:],
        }


class Releases:
    """The release folders and the pointer of one state dir."""

    def __init__(self, state_dir: Path) -> None:
        self.home = state_dir / RELEASES_DIR
        self.pointer_path = self.home / POINTER_FILE

    def folder(self, version: str) -> Path:
        return self.home / version

    def read(self) -> Pointer:
        try:
            data = json.loads(self.pointer_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return Pointer()
        if not isinstance(data, dict):
            return Pointer()
        active = data.get("active")
        if not isinstance(active, str) or not self.usable(active):
            active = None  # a folder removed by hand: the installed yt-dlp, not a broken path
        previous = data.get("previous")
        probation = data.get("probation")
        history = data.get("history")
        return Pointer(
            active=active,
            previous=previous if isinstance(previous, str) else None,
            probation=probation if isinstance(probation, dict) else None,
            history=[h for h in history if isinstance(h, dict)]
            if isinstance(history, list)
            else [],
        )

    def stamp(self) -> float | None:
        """When the pointer last changed (None: never written); cheap enough for every job."""
        try:
            return self.pointer_path.stat().st_mtime_ns / 1e9
        except OSError:
            return None

    def usable(self, version: str) -> bool:
        return (self.folder(version) / "yt_dlp" / "__init__.py").is_file()

    def newest_known(self) -> str | None:
        """The newest release the updater's last check found (None: never checked)."""
        try:
            data = json.loads((self.home / NEWEST_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        version = data.get("version") if isinstance(data, dict) else None
        return version if isinstance(version, str) else None

    def describe_in_use(self) -> str:
        """``yt-dlp is 74 days old, 2026.11.30 is available`` (what a summary adds)."""
        version, _where = self.version_in_use()
        if version is None:
            return "yt-dlp is not installed"
        age = age_days(version)
        text = f"yt-dlp {version}" + (f" is {age} days old" if age is not None else "")
        newest = self.newest_known()
        if newest and is_newer(newest, version):
            text += f", {newest} is available"
        return text

    def active_folder(self) -> Path | None:
        active = self.read().active
        return self.folder(active) if active else None

    def version_in_use(self) -> tuple[str | None, str]:
        """(version, where): where is ``state_dir`` or ``installed``."""
        active = self.read().active
        if active:
            return active, "state_dir"
        return installed_version(), INSTALLED

    def switch(
        self, to: str | None, *, kind: str, reason: str, probation: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Point at release ``to`` (None: the installed one); returns the history record."""
        pointer = self.read()
        current = pointer.active or INSTALLED
        record = {
            "at": time.time(),
            "kind": kind,
            "from": current,
            "to": to or INSTALLED,
            "reason": reason,
            "announced": False,
        }
        pointer.previous = current if kind == "switch" else None
        pointer.active = to
        pointer.probation = probation
        pointer.history.append(record)
        self._write(pointer)
        return record

    def rollback(self, reason: str) -> dict[str, Any] | None:
        """Back to the release before the active one (the installed one when none is known);
        None when the installed one runs already."""
        pointer = self.read()
        if pointer.active is None:
            return None
        back = pointer.previous if pointer.previous and pointer.previous != pointer.active else None
        if back is not None and back != INSTALLED and not self.usable(back):
            back = None
        return self.switch(
            None if back in (None, INSTALLED) else back, kind="rollback", reason=reason
        )

    def end_probation(self) -> None:
        pointer = self.read()
        if pointer.probation is not None:
            pointer.probation = None
            self._write(pointer)

    def unannounced(self) -> list[dict[str, Any]]:
        return [h for h in self.read().history if not h.get("announced")]

    def mark_announced(self) -> None:
        pointer = self.read()
        if any(not h.get("announced") for h in pointer.history):
            for record in pointer.history:
                record["announced"] = True
            self._write(pointer)

    def prune(self, keep: int = 3) -> list[str]:
        """Remove release folders but the active, the previous and the newest ``keep``."""
        pointer = self.read()
        protected = {pointer.active, pointer.previous}
        folders = sorted(
            (p.name for p in self.home.iterdir() if p.is_dir() and version_key(p.name)),
            key=lambda name: version_key(name) or (),
        ) if self.home.is_dir() else []  # fmt: skip
        removed = []
        for name in folders[:-keep] if keep else folders:
            if name not in protected:
                _remove_tree(self.folder(name))
                removed.append(name)
        return removed

    def _write(self, pointer: Pointer) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(prefix=".active-", dir=self.home)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(pointer.to_json(), out, indent=1)
            os.replace(temp, self.pointer_path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise


def _remove_tree(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)
