"""The updater: which yt-dlp runs, how old it is, whether a newer one exists, and the update,
switch and rollback that ``spotsyncd extractors`` and ``extractors.auto_update`` perform.

An update never leaves the daemon without a working yt-dlp: the new release goes into its own
folder, is tried in a subprocess (import, version, canary), and only then does the pointer
change; until then (and after a refusal) the release in use keeps running. Each switch and
rollback is one log line and one event (``yt_dlp_switch``, ``yt_dlp_rollback``); a new release
found is ``yt_dlp_new`` (once per release), a refused one ``yt_dlp_refused``.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from typing import Any

from spotsyncd.core.config import Config
from spotsyncd.extractors.fetch import FetchError, install_release, newest_release
from spotsyncd.extractors.trial import Trial, canary_urls, try_release
from spotsyncd.ledger import Ledger
from spotsyncd.sources.ytdlp.releases import INSTALLED, NEWEST_FILE, Releases, age_days, is_newer

log = logging.getLogger(__name__)

ANNOUNCED_KINDS = {"switch": "yt_dlp_switch", "rollback": "yt_dlp_rollback"}


@dataclass
class Outcome:
    """What an update did: ``switched`` to ``version``, or not and why (``message``);
    ``current``: not switched because nothing needed to change (already the newest)."""

    switched: bool
    message: str
    version: str | None = None
    trial: Trial | None = None
    current: bool = False


class Updater:
    def __init__(self, config: Config, ledger: Ledger | None) -> None:
        self.config = config
        self.ledger = ledger
        self.releases = Releases(config.state_dir)
        self._newest_path = self.releases.home / NEWEST_FILE

    # ------------------------------------------------------------------ reading

    def status(self) -> dict[str, Any]:
        """The yt-dlp in use, its age, the newest release known, and the recent switches."""
        version, where = self.releases.version_in_use()
        pointer = self.releases.read()
        newest = self._newest()
        known = newest.get("version")
        age = age_days(version) if version else None
        return {
            "version": version,
            "where": where,
            "folder": str(self.releases.folder(version))
            if where != INSTALLED and version
            else None,
            "age_days": age,
            "too_old": age is not None and age > self.config.extractors.max_age_days,
            "newest": known,
            "newest_checked_at": newest.get("checked_at"),
            "update_available": bool(known and version and is_newer(known, version)),
            # The index offers only older releases than the one running: a stale mirror or a
            # wrong ``extractors.index_url``; updates from it can never come.
            "index_behind": bool(known and version and is_newer(version, known)),
            "auto_update": self.config.extractors.auto_update,
            "previous": pointer.previous,
            "probation": pointer.probation,
            "refused": newest.get("refused") or [],
            "history": pointer.history[-5:],
        }

    # ------------------------------------------------------------------ acting

    def check(self) -> str:
        """Ask the index for the newest release, remember it, and tell once per new release
        (raises ``FetchError`` when the index cannot be read)."""
        index = self.config.extractors.index_url
        newest = newest_release(index)
        state = self._newest()
        state.update(version=newest, checked_at=time.time())
        in_use, _where = self.releases.version_in_use()
        if in_use and is_newer(newest, in_use) and state.get("told") != newest:
            state["told"] = newest
            age = age_days(in_use)
            message = (
                f"yt-dlp {newest} is available (running {in_use}"
                + (f", {age} days old" if age is not None else "")
                + "); 'spotsyncd extractors update' installs it"
            )
            log.info("%s", message)
            self._event("info", "yt_dlp_new", message)
        self._write_newest(state)
        return newest

    def update(self, version: str | None = None, *, force: bool = False) -> Outcome:
        """Install ``version`` (default: the newest), try it and switch to it."""
        in_use, _where = self.releases.version_in_use()
        wanted = version or self.check()
        if not force and in_use and not is_newer(wanted, in_use):
            return Outcome(
                False, f"yt-dlp {in_use} is the newest release; nothing to do", in_use, current=True
            )
        settings = self.config.extractors
        try:
            folder = self.releases.folder(wanted)
            if not self.releases.usable(wanted):
                folder = install_release(wanted, self.releases.home, settings.index_url)
        except FetchError as exc:
            message = f"yt-dlp {wanted} was not installed ({exc}); still running {in_use}"
            log.warning("%s", message)
            self._event("warning", "yt_dlp_refused", message)
            return Outcome(False, message, wanted)
        recent = self.ledger.recent_audio_urls() if self.ledger is not None else []
        urls = canary_urls(recent, settings.canary_items)
        trial = try_release(
            folder,
            urls,
            expect=wanted,
            allow_private=self.config.network.allow_private,
            cookies_file=self.config.download.cookies_file,
        )
        if not trial.ok:
            self._refuse(wanted)
            message = (
                f"yt-dlp {wanted} failed its check ({trial.problem}); staying with yt-dlp {in_use}"
            )
            log.warning("%s", message)
            self._event("warning", "yt_dlp_refused", message)
            return Outcome(False, message, wanted, trial)
        checked = (
            f"{len(trial.results)} canary extractions from {', '.join(trial.sources)} passed"
            if trial.results
            else "it imports; no recent downloads to try yet"
        )
        probation = {"sources": trial.sources, "downloads": settings.probation_downloads}
        self._refuse(wanted, forget=True)  # asked for again and it passed: no longer refused
        self.releases.switch(wanted, kind="switch", reason=checked, probation=probation)
        message = (
            f"yt-dlp switched from {in_use} to {wanted} ({checked}); "
            "workers take it up between jobs"
        )
        log.info("%s", message)
        self.announce()
        self.releases.prune()
        return Outcome(True, message, wanted, trial)

    def rollback(self, reason: str = "asked by hand") -> Outcome:
        record = self.releases.rollback(reason)
        if record is None:
            version, _where = self.releases.version_in_use()
            return Outcome(False, f"yt-dlp {version} as installed is in use; nothing to roll back")
        message = f"yt-dlp rolled back from {record['from']} to {record['to']}: {reason}"
        log.warning("%s", message)
        self.announce()
        return Outcome(True, message, record["to"])

    def announce(self) -> None:
        """Each switch and rollback not yet in the ledger becomes an event (the runtime rolls
        back on its own when a probation fails, without a ledger at hand)."""
        if self.ledger is None:
            return
        for record in self.releases.unannounced():
            if record["kind"] == "rollback":
                self._refuse(record["from"])  # not installed again by itself
            level = "info" if record["kind"] == "switch" else "warning"
            message = (
                f"yt-dlp {record['kind']} from {record['from']} to {record['to']}: "
                f"{record['reason']}"
            )
            self.ledger.event(level, ANNOUNCED_KINDS.get(record["kind"], "yt_dlp_switch"), message)
        self.releases.mark_announced()

    # ------------------------------------------------------------------ helpers

    def refused(self, version: str) -> bool:
        return version in (self._newest().get("refused") or [])

    def _refuse(self, version: str, *, forget: bool = False) -> None:
        """Remember that ``version`` failed (auto_update does not install it again), or
        with ``forget`` that it no longer has."""
        if version == INSTALLED:
            return
        state = self._newest()
        refused = [v for v in state.get("refused") or [] if v != version][-9:]
        state["refused"] = refused if forget else [*refused, version]
        self._write_newest(state)

    def _event(self, level: str, kind: str, message: str) -> None:
        if self.ledger is not None:
            self.ledger.event(level, kind, message)

    def _newest(self) -> dict[str, Any]:
        try:
            data = json.loads(self._newest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _write_newest(self, state: dict[str, Any]) -> None:
        self.releases.home.mkdir(parents=True, exist_ok=True)
        temp = self._newest_path.with_suffix(".tmp")
        temp.write_text(json.dumps(state), encoding="utf-8")
        temp.replace(self._newest_path)
