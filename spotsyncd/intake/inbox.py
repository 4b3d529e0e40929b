"""The inbox watcher: link files dropped into ``inbox_dir`` become jobs in the ledger.

A file is read once it is complete: at once on a close-after-write or rename-into event (how
editors and ``mv`` finish), otherwise after it has been quiet for ``SETTLE_S``. Its links are
written to the ledger in batches before it moves to ``processed/`` (with a report beside it);
a file that cannot be read at all moves to ``failed/`` with ``NAME.reason.txt``. Nothing in the
inbox is ever deleted. Only this module imports watchdog.
"""

from __future__ import annotations

import logging
import os
import stat
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from watchdog.events import (
    FileClosedEvent,
    FileCreatedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer

from spotsyncd.core.config import Config
from spotsyncd.core.errors import LinkError, log_problem
from spotsyncd.core.models import Link, TrackMeta
from spotsyncd.core.wording import counted
from spotsyncd.intake.links import LineResult, LinkFileError, open_link_file, read_link_file
from spotsyncd.intake.playlists.csv_exports import looks_like_csv_export
from spotsyncd.intake.playlists.formats import is_playlist_file_name
from spotsyncd.intake.playlists.reading import NamedList, playlist_results, read_playlist
from spotsyncd.intake.playlists.text import decode
from spotsyncd.intake.reporting import write_failure_reason
from spotsyncd.ledger.follows.collections import CollectionRow
from spotsyncd.ledger.rows import Added

log = logging.getLogger(__name__)

SUFFIXES = (".txt", ".links")
SETTLE_S = 1.0
BATCH_LINES = 2000


def is_link_file_name(name: str) -> bool:
    """A link file (``.txt``, ``.links``) or a playlist file or export the inbox reads."""
    lower = name.lower()
    return (
        (lower.endswith(SUFFIXES) or is_playlist_file_name(name))
        and not name.startswith((".", "~"))
        and not lower.endswith((".report.txt", ".reason.txt"))
    )


def read_inbox_file(path: Path, lists: list[NamedList] | None = None) -> Iterator[LineResult]:
    """The per-line results of a link file or of a playlist file: the name says which, and the
    content too (an M3U, XSPF, JSON or CSV export saved as ``.txt`` is read as what it is).
    A playlist file's playlists are appended to ``lists``."""
    if path.name.lower().endswith(SUFFIXES) and not _holds_a_playlist(path):
        yield from read_link_file(path)
    else:
        fallback = path.stem or path.name
        yield from playlist_results(read_playlist(path), lists=lists, fallback_name=fallback)


def _holds_a_playlist(path: Path) -> bool:
    try:
        with open_link_file(path) as stream:
            head = decode(stream.read(4096)).lstrip("\ufeff \t\r\n")
    except (OSError, LinkFileError):
        return False  # read_link_file says why
    first = head.split("\n", 1)[0]
    # Narrow on purpose: a link file may well start with "<https://…>" or a "# comment".
    return (
        first.upper().startswith("#EXTM3U")
        or first.lower().startswith(("<?xml", "<playlist"))
        or first.startswith("{")
        or ("," in first and looks_like_csv_export(head))
    )


def free_path(folder: Path, name: str) -> Path:
    """``folder/name``, or with the time (and a number) before its suffix when that is taken."""
    target = folder / name
    if target.exists() or target.is_symlink():
        stamp = time.strftime("%Y%m%d-%H%M%S")
        stem, dot, suffix = name.rpartition(".")
        for n in range(1, 1000):
            extra = f"-{stamp}" + (f"-{n}" if n > 1 else "")
            target = folder / (f"{stem}{extra}.{suffix}" if dot else f"{name}{extra}")
            if not (target.exists() or target.is_symlink()):
                break
    return target


def save_lists(ledger: InboxLedger, lists: Sequence[NamedList], *, origin: str) -> None:
    """Keep each playlist of an imported file as a collection (its tracks are in the ledger)."""
    for listed in lists:
        row = ledger.save_collection(listed.name, listed.keys, origin=origin)
        log.info("inbox: %s: collection '%s' lists %s", origin, row.name,
                 counted(row.size, "track"))  # fmt: skip


class _Handler(FileSystemEventHandler):
    def __init__(self, watcher: InboxWatcher) -> None:
        self.watcher = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        if isinstance(event, FileMovedEvent):  # renamed in: complete by definition
            self.watcher.notice(os.fsdecode(event.dest_path), settle=0.0, complete=True)
        elif isinstance(event, FileClosedEvent):  # closed after writing
            self.watcher.notice(os.fsdecode(event.src_path), settle=0.0, complete=True)
        elif isinstance(event, FileCreatedEvent | FileModifiedEvent) or (
            event.is_directory and event.event_type == "created"
        ):
            self.watcher.notice(os.fsdecode(event.src_path), settle=SETTLE_S)


class InboxLedger(Protocol):
    """What the watcher writes: each file, its lines in durable batches (``ledger.Intake``) and
    the playlists it holds as collections (``ledger.Collections``): ``ledger.Ledger`` has both."""

    def start_inbox_file(
        self, name: str, *, outcome: str = "accepted", reason: str | None = None
    ) -> int: ...
    def add_inbox_lines(
        self,
        file_id: int,
        lines: Sequence[tuple[int, str, Link | None, str | None]],
        *,
        metas: Mapping[str, TrackMeta] | None = None,
    ) -> list[Added]: ...
    def set_inbox_file_path(self, file_id: int, stored_path: str, report_path: str) -> None: ...
    def save_collection(
        self, name: str, keys: Sequence[str], *, origin: str | None = None
    ) -> CollectionRow: ...


if TYPE_CHECKING:  # mypy proves the ledger is an InboxLedger
    from spotsyncd.ledger import Ledger

    _LEDGER: type[InboxLedger] = Ledger


class InboxWatcher:
    def __init__(
        self,
        config: Config,
        ledger: InboxLedger,
        *,
        on_accepted: Callable[[], None],
        on_follow: Callable[[Link], str] | None = None,
        on_report: Callable[[int], None] | None = None,
    ) -> None:
        self.config = config
        self.ledger = ledger
        self.on_accepted = on_accepted
        self.on_follow = on_follow
        self.on_report = on_report or (lambda file_id: None)
        self._due: dict[str, float] = {}
        self._complete: set[str] = set()  # names whose last event said the file is finished
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._observer: Observer | None = None  # type: ignore[valid-type]
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        self.sweep()
        try:
            # Full events: a file moved in from another folder arrives as a move (complete),
            # not as a creation we would have to wait out.
            observer = Observer(generate_full_events=True)  # type: ignore[call-arg]
        except TypeError:  # observers other than inotify have no such option
            observer = Observer()
        observer.schedule(_Handler(self), str(self.config.inbox_dir), recursive=False)
        observer.daemon = True
        observer.start()
        self._observer = observer
        self._thread = threading.Thread(target=self._loop, name="spotsyncd-inbox", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 3.0) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=timeout_s)
        if self._thread is not None:
            self._thread.join(timeout=timeout_s)

    def alive(self) -> bool:
        observer_ok = self._observer is not None and self._observer.is_alive()
        return observer_ok and self._thread is not None and self._thread.is_alive()

    def sweep(self) -> None:
        """Queue every link file already in the inbox (files dropped while we were down)."""
        try:
            names = os.listdir(self.config.inbox_dir)
        except OSError as exc:
            log.error("cannot list the inbox %s: %s", self.config.inbox_dir, exc.strerror)
            return
        for name in sorted(names):
            self.notice(str(self.config.inbox_dir / name), settle=0.0)

    def drain(self) -> None:
        """Accept every link file in the inbox now, in this thread (for one-shot runs)."""
        try:
            names = sorted(os.listdir(self.config.inbox_dir))
        except OSError as exc:
            log.error("cannot list the inbox %s: %s", self.config.inbox_dir, exc.strerror)
            return
        for name in names:
            if is_link_file_name(name):
                self.handle(name, settled=True)

    def notice(self, path: str, *, settle: float, complete: bool = False) -> None:
        candidate = Path(path)
        if candidate.parent != self.config.inbox_dir or not is_link_file_name(candidate.name):
            return
        with self._cond:
            self._due[candidate.name] = time.monotonic() + settle
            if complete:
                self._complete.add(candidate.name)
            else:
                self._complete.discard(candidate.name)
            self._cond.notify_all()

    # ------------------------------------------------------------------ processing

    def _loop(self) -> None:
        while not self._stop.is_set():
            with self._cond:
                now = time.monotonic()
                ready = [name for name, due in self._due.items() if due <= now]
                if not ready:
                    wait = min(self._due.values(), default=now + 3600) - now
                    self._cond.wait(max(0.01, wait))
                    continue
                complete = {name for name in ready if name in self._complete}
                for name in ready:
                    self._due.pop(name, None)
                    self._complete.discard(name)
            for name in sorted(ready):
                if self._stop.is_set():
                    return
                try:
                    self.handle(name, settled=name in complete)
                except Exception as exc:  # noqa: BLE001 - one odd file must never stop the watcher
                    log_problem(log, f"inbox: {name} stays in the inbox for now", exc)

    def handle(self, name: str, *, settled: bool = False) -> None:
        """Accept one inbox entry: read, record, move. Safe to call twice for one file."""
        path = self.config.inbox_dir / name
        try:
            info = path.lstat()
        except FileNotFoundError:
            return  # vanished: nothing to do
        except OSError as exc:
            self._fail(name, f"cannot be examined: {exc.strerror}")
            return
        if not settled and stat.S_ISREG(info.st_mode) and time.time() - info.st_mtime < 0.05:
            self.notice(str(path), settle=0.2)  # still being written
            return
        file_id: int | None = None
        accepted = refused = 0
        batch: list[tuple[int, str, Link | None, str | None]] = []
        metas: dict[str, TrackMeta] = {}
        lists: list[NamedList] = []
        try:
            for line in read_inbox_file(path, lists):
                if file_id is None:
                    file_id = self.ledger.start_inbox_file(name)
                error = line.error
                link = line.link
                if link is not None and link.follow:
                    error, link = self._follow(link), None
                batch.append((line.line_no, line.text, link, error))
                if link is not None and line.meta is not None:
                    metas[link.key] = line.meta
                if len(batch) >= BATCH_LINES:
                    accepted, refused = self._flush(file_id, batch, metas, accepted, refused)
            if file_id is None:
                file_id = self.ledger.start_inbox_file(name)
            accepted, refused = self._flush(file_id, batch, metas, accepted, refused)
            save_lists(self.ledger, lists, origin=name)
        except LinkFileError as exc:
            if file_id is None:
                self._fail(name, str(exc).split(": ", 1)[-1])
                return
            log.warning("inbox: %s stopped part-way: %s", name, exc)
        stored = self._move(path, self.config.inbox_dir / "processed")
        if stored is None:
            return
        report = stored.with_name(stored.name + ".report.txt")
        assert file_id is not None
        self.ledger.set_inbox_file_path(file_id, str(stored), str(report))
        log.info(
            "inbox: %s accepted: %s queued, %s refused → %s",
            name,
            counted(accepted, "link"),
            counted(refused, "line"),
            stored,
        )
        self.on_report(file_id)
        if accepted:
            self.on_accepted()

    def _flush(
        self,
        file_id: int,
        batch: list[tuple[int, str, Link | None, str | None]],
        metas: dict[str, TrackMeta],
        accepted: int,
        refused: int,
    ) -> tuple[int, int]:
        if batch:
            self.ledger.add_inbox_lines(file_id, batch, metas=metas or None)
            good = sum(1 for item in batch if item[2] is not None)
            accepted, refused = accepted + good, refused + len(batch) - good
            batch.clear()
            metas.clear()
        # Workers are woken once the whole file is in (see handle), not per batch: woken early,
        # they compete with this thread for the GIL and the ledger's write lock and made a
        # 5,000-link file take 2-3x longer to accept.
        return accepted, refused

    def _follow(self, link: Link) -> str:
        if self.on_follow is None:
            return "follow lines are not supported here"
        try:
            return f"following as '{self.on_follow(link)}'"
        except LinkError as exc:
            return str(exc)

    def _fail(self, name: str, reason: str) -> None:
        source = self.config.inbox_dir / name
        stored = self._move(source, self.config.inbox_dir / "failed")
        self.ledger.start_inbox_file(name, outcome="failed", reason=reason)
        if stored is not None:
            write_failure_reason(stored, reason)
        log.warning("inbox: %s refused: %s", name, reason)

    def _move(self, source: Path, folder: Path) -> Path | None:
        """Rename ``source`` (never following a symlink) into ``folder`` under a free name."""
        folder.mkdir(exist_ok=True)
        target = free_path(folder, source.name)
        try:
            os.rename(source, target)
        except FileNotFoundError:
            return None
        except OSError as exc:
            log.error(
                "inbox: cannot move %s to %s: %s; it stays in the inbox",
                source,
                folder,
                exc.strerror,
            )
            return None
        return target
