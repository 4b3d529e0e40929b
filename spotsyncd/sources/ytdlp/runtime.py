"""The yt-dlp this process runs, switched between jobs.

How a running daemon changes its yt-dlp: the release folder the pointer names (``releases.py``)
goes first on ``sys.path``, and every use of yt-dlp (a download, a listing, a search) runs inside
:meth:`YtDlpRuntime.using`. When a call starts and the pointer has changed, the call waits until
no other yt-dlp call is in flight in this process (new ones wait behind it: a download already
running is never disturbed), then every ``yt_dlp*`` module is dropped from ``sys.modules``,
the new folder replaces the old one on ``sys.path``, yt-dlp is imported again and the address
check is installed on it again. The client reaches yt-dlp only through :meth:`module` and
:meth:`errors`, never through names bound at import, so nothing keeps using the old classes;
its idle ``YoutubeDL`` objects are closed by the ``on_switch`` callback.

Why in-process rather than yt-dlp in a subprocess: the client drives yt-dlp through hooks
(progress, cancel, the address check on every connection), which a subprocess would have to
re-create over a pipe. A release is first imported and run in a subprocess (the updater's check
and canary), so a build that does not import never reaches the daemon; if the import here
fails anyway, the process goes back to the release it ran and the pointer says so.

Probation: after a switch, the first ``downloads`` downloads from each source the canary
proved the old release could handle are watched; when all of them fail with an error yt-dlp
can cause (not the network, the disk or a refusal), ``on_probation_failed`` is called (the
updater rolls back). One success from a source ends its watch.
"""

from __future__ import annotations

import importlib
import logging
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from urllib.parse import urlsplit

from spotsyncd.sources.ytdlp.releases import Releases

log = logging.getLogger(__name__)

_PREFIXES = ("yt_dlp", "yt_dlp_plugins")
# Errors a release of yt-dlp can cause; the others (offline, disk, a refused address, a
# cancel, a rate limit) say nothing about the release.
ATTRIBUTABLE = frozenset({"permanent", "transient", "bot_check"})


def source_of(url: str) -> str:
    """The source a URL belongs to, as the canary and the probation name it."""
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return "unknown"
    if host == "youtu.be" or host.endswith(("youtube.com", "youtube-nocookie.com")):
        return "youtube"
    for prefix in ("www.", "m."):
        host = host.removeprefix(prefix)
    return host or "unknown"


class YtDlpRuntime:
    """One per process (built by the wiring). ``releases`` None: always the installed yt-dlp."""

    def __init__(
        self,
        releases: Releases | None,
        *,
        on_probation_failed: Callable[[str], None] | None = None,
        logger: logging.Logger | None = None,
    ) -> None:
        self.releases = releases
        self.on_probation_failed = on_probation_failed
        self.on_switch: Callable[[], None] = lambda: None
        self.log = logger or log
        self._lock = threading.Condition()
        self._in_flight = 0
        self._switching = False
        self._stamp: float | None = None
        self._folder: Path | None = None  # on sys.path now
        self._version: str | None = None
        self._tallies: dict[str, list[bool]] = {}
        self._verdict_given = False
        self._load(initial=True)

    # ------------------------------------------------------------------ what callers use

    @contextmanager
    def using(self) -> Iterator[None]:
        """Around every yt-dlp call: switches first when the pointer changed (waiting for the
        calls in flight, holding new ones)."""
        with self._lock:
            while self._switching:
                self._lock.wait()
            if self._changed():
                self._switching = True
                try:
                    while self._in_flight:
                        self._lock.wait()
                    self._load(initial=False)
                finally:
                    self._switching = False
                    self._lock.notify_all()
            self._in_flight += 1
        try:
            _prime_once(self.module())
            yield
        finally:
            with self._lock:
                self._in_flight -= 1
                self._lock.notify_all()

    def module(self) -> ModuleType:
        return importlib.import_module("yt_dlp")

    def errors(self) -> type[BaseException]:
        from yt_dlp.utils import YoutubeDLError

        return YoutubeDLError  # type: ignore[no-any-return]

    @property
    def version(self) -> str:
        return self._version or "unknown"

    def record(self, url: str, error_class: str | None) -> None:
        """A download's outcome (None: it succeeded), for the probation after a switch."""
        if self.releases is None or self._verdict_given:
            return
        probation = self.releases.read().probation
        if not probation:
            return
        source = source_of(url)
        if source not in probation.get("sources", ()):
            return
        if error_class is not None and error_class not in ATTRIBUTABLE:
            return
        limit = int(probation.get("downloads") or 3)
        with self._lock:
            tally = self._tallies.setdefault(source, [])
            if len(tally) >= limit or any(tally):
                return
            tally.append(error_class is None)
            failed = len(tally) >= limit and not any(tally)
            settled = all(len(t) >= limit or any(t) for t in self._tallies.values())
            covered = set(self._tallies) >= set(probation.get("sources", ()))
        if failed:
            self._verdict_given = True
            reason = (
                f"the first {limit} downloads from {source} with yt-dlp {self.version} "
                f"failed ({error_class}); the release before handled {source}"
            )
            if self.on_probation_failed is not None:
                self.on_probation_failed(reason)
            else:
                record = self.releases.rollback(reason)
                if record is not None:
                    self.log.warning(
                        "yt-dlp rolled back from %s to %s: %s", record["from"], record["to"], reason
                    )
        elif settled and covered:
            self.releases.end_probation()

    # ------------------------------------------------------------------ the switch

    def _changed(self) -> bool:
        return self.releases is not None and self.releases.stamp() != self._stamp

    def _load(self, *, initial: bool) -> None:
        """Put the pointer's release on ``sys.path`` and import it (the caller holds the
        lock with nothing in flight)."""
        if self.releases is None:
            self._version = _imported_version()
            return
        self._stamp = self.releases.stamp()
        folder = self.releases.active_folder()
        if folder == self._folder and not initial:
            return
        old_folder, old_version = self._folder, self._version
        try:
            self._import(folder)
            if not initial:
                self._prime()
        except Exception as exc:  # noqa: BLE001 - any failure to import: back to the old one
            self.log.error(
                "yt-dlp from %s did not import (%s); staying with yt-dlp %s",
                folder or "the installed environment",
                exc,
                old_version or "as installed",
            )
            self._import(old_folder)
            if not initial:
                self._prime()
                self.releases.switch(
                    old_folder.name if old_folder else None,
                    kind="rollback",
                    reason=f"yt-dlp from {folder} did not import: {exc}",
                )
                self._stamp = self.releases.stamp()
        else:
            self._tallies, self._verdict_given = {}, False
            if not initial:
                self.log.info(
                    "now running yt-dlp %s (was %s)", self._version, old_version or "unknown"
                )
        if not initial:
            self.on_switch()  # whichever it is now, objects of the yt-dlp before are stale

    def _prime(self) -> None:
        """yt-dlp's plugins loaded now, alone: YoutubeDLs built at once by the calls waiting
        behind the switch would each load them (a plugin registered twice is an error). A
        release whose YoutubeDL cannot even be built raises here, and the switch rolls back."""
        module = self.module()
        with _PRIME_LOCK:
            module.YoutubeDL({"quiet": True, "no_warnings": True}).close()
            _primed.add(id(module))

    def _import(self, folder: Path | None) -> None:
        if self._needs_purge(folder):
            for name in [n for n in sys.modules if n.split(".", 1)[0] in _PREFIXES]:
                del sys.modules[name]
            # yt-dlp puts a finder for its plugin packages on sys.meta_path; the old one's
            # would hand the new yt-dlp the plugins a second time (registered twice).
            sys.meta_path[:] = [
                finder
                for finder in sys.meta_path
                if type(finder).__module__.split(".", 1)[0] not in _PREFIXES
            ]
        if self._folder is not None and str(self._folder) in sys.path:
            sys.path.remove(str(self._folder))
        if folder is not None:
            sys.path.insert(0, str(folder))
        self._folder = folder
        importlib.invalidate_caches()
        self._version = _imported_version()
        from spotsyncd.sources.ytdlp.guard import install_address_guard

        install_address_guard()

    def _needs_purge(self, folder: Path | None) -> bool:
        """Whether the yt-dlp imported now (if any) is another than ``folder``'s (None: the
        installed one); the first load in a process that imported it already keeps it."""
        loaded = sys.modules.get("yt_dlp")
        if loaded is None or not getattr(loaded, "__file__", None):
            return False
        parent = Path(str(loaded.__file__)).resolve().parent.parent
        if folder is not None:
            return parent != folder.resolve()
        home = self.releases.home.resolve() if self.releases is not None else None
        return home is not None and parent.is_relative_to(home)


_PRIME_LOCK = threading.Lock()
_primed: set[int] = set()  # id() of each yt_dlp module whose plugins are loaded


def _prime_once(module: ModuleType) -> None:
    """Load ``module``'s plugins once per process, alone: the first YoutubeDL loads them, and
    two threads (a worker's) building their first ones at once would register each plugin
    twice (yt-dlp logs a traceback for each)."""
    with _PRIME_LOCK:
        if id(module) in _primed:
            return
        try:
            module.YoutubeDL({"quiet": True, "no_warnings": True}).close()
        except Exception as exc:  # noqa: BLE001 - the call itself will meet and report it
            log.debug("yt-dlp's plugins not loaded ahead: %s", exc)
        _primed.add(id(module))


def _imported_version() -> str:
    from yt_dlp.version import __version__

    return str(__version__)
