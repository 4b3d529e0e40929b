"""Removing library files a follow no longer wants: episodes beyond ``keep_last: N`` and, with
``on_removed: delete``, tracks the source stopped listing. Only files inside the library go;
each one is forgotten in the ledger (the track stays known, without a file) and the folders it
leaves empty are tidied, never the library itself."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Protocol

from spotsyncd.core.errors import log_problem
from spotsyncd.core.wording import counted
from spotsyncd.follows.episodes import beyond_keep_last, keep_last_why
from spotsyncd.ledger.follows.rows import FollowRow, FollowTrack

log = logging.getLogger(__name__)


class PruneLedger(Protocol):
    """The ledger queries removing files needs (part of ``sync.FollowLedger``)."""

    def follow_tracks(
        self, follow_id: int, *, include_absent: bool = False
    ) -> list[FollowTrack]: ...
    def set_aside(self, keys: Sequence[str], why: str) -> int: ...
    def removable_files(self, follow_id: int) -> list[tuple[int, str]]: ...
    def expendable_files(
        self, follow_id: int, keys: Sequence[str]
    ) -> list[tuple[int, str, str]]: ...
    def forget_file(self, track_id: int, why: str = ...) -> None: ...


class LibraryPruner:
    def __init__(
        self,
        ledger: PruneLedger,
        library_dir: Path,
        owner_of: Callable[[Path], str | None] | None = None,
    ) -> None:
        self.ledger = ledger
        self.library_dir = library_dir
        self.owner_of = owner_of  # a file's spotsyncd key (keep_last deletes only its own)

    def keep_last(self, follow: FollowRow) -> tuple[str, ...]:
        """``keep_last: N``: episodes beyond the newest N are not fetched, and their files go,
        when spotsyncd made them (the file carries the track's key) and nothing else wants
        them (another follow, an inbox line, ``add``, a dropped feed)."""
        try:
            return self._trim(follow)
        except Exception as exc:  # noqa: BLE001 - the poll itself succeeded; try at the next
            log_problem(log, f"{follow.name}: could not remove older episodes", exc)
            return ()

    def _trim(self, follow: FollowRow) -> tuple[str, ...]:
        order = [t.key for t in self.ledger.follow_tracks(follow.id)]
        beyond = beyond_keep_last(order, follow.options)
        if not beyond:
            return ()
        why = keep_last_why(int(follow.options["keep_last"]))
        self.ledger.set_aside(beyond, why)
        files = self.ledger.expendable_files(follow.id, beyond)
        deleted = self._remove(follow.name, files, verb="remove", why=why)
        if deleted:
            kept = follow.options["keep_last"]
            log.info("%s: removed %s (keep_last %s)", follow.name,
                     counted(len(deleted), "older episode"), kept)  # fmt: skip
        return deleted

    def delete_removed(self, follow: FollowRow) -> tuple[str, ...]:
        """``on_removed: delete``: the files of tracks the follow dropped that nothing else
        wants."""
        if follow.on_removed != "delete":
            return ()
        files = [(i, relative, None) for i, relative in self.ledger.removable_files(follow.id)]
        deleted = self._remove(follow.name, files, verb="delete", why=None)
        if deleted:
            log.info("%s: deleted %d files no longer listed", follow.name, len(deleted))
        return deleted

    def _remove(
        self,
        name: str,
        files: Iterable[tuple[int, str, str | None]],
        *,
        verb: str,
        why: str | None,
    ) -> tuple[str, ...]:
        """Unlink each (track id, library path, key) and forget it in the ledger. With a key,
        only a file that carries it (or is gone already) is removed; without one, a path
        outside the library is reported."""
        deleted: list[str] = []
        library = self.library_dir.resolve()
        for track_id, relative, key in files:
            path = (library / relative).resolve()
            if not path.is_relative_to(library) or path == library:
                if key is None:
                    log.warning("%s: not deleting %s: outside the library", name, relative)
                continue
            if key is not None and path.exists() and self._not_ours(path, key):
                log.info("%s: keeping %s: not a file spotsyncd made", name, relative)
                continue
            try:
                path.unlink()
            except FileNotFoundError:
                pass  # gone already: the ledger should stop pointing at it all the same
            except OSError as exc:
                log.warning("%s: could not %s %s: %s", name, verb, relative, exc)
                continue
            if why is None:
                self.ledger.forget_file(track_id)
            else:
                self.ledger.forget_file(track_id, why)
            _remove_empty_parents(path.parent, library)
            deleted.append(relative)
        return tuple(deleted)

    def _not_ours(self, path: Path, key: str) -> bool:
        return self.owner_of is None or self.owner_of(path) != key


def _remove_empty_parents(folder: Path, library: Path) -> None:
    """Tidy folders a deletion emptied (album, then artist), never the library itself."""
    while folder != library and folder.is_relative_to(library):
        with contextlib.suppress(OSError):
            folder.rmdir()  # fails when not empty: stop there
        if folder.exists():
            return
        folder = folder.parent
