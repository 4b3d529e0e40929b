"""A playlist file handed in whole (the dashboard's "Import a playlist file", ``POST
/api/v1/imports``): read, its entries queued with what the file says of them, its playlists kept
as collections, and the file kept in the inbox's ``processed/`` with its report, exactly as if it
had been dropped into the inbox, so it is followed the same way.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

from spotsyncd.core.models import Link, TrackMeta
from spotsyncd.intake.inbox import BATCH_LINES, InboxLedger, free_path, save_lists
from spotsyncd.intake.playlists.entries import PlaylistFileError
from spotsyncd.intake.playlists.formats import read_playlist_file
from spotsyncd.intake.playlists.reading import NamedList, playlist_results

MAX_NAME_CHARS = 200
MAX_REFUSALS_SHOWN = 100


@dataclass(frozen=True)
class ImportedList:
    name: str
    tracks: int  # how many tracks it lists
    queued: int  # of which new to the ledger (or asked again after failing)


@dataclass(frozen=True)
class ImportOutcome:
    stored: Path  # where the file was kept (its report is beside it)
    format: str
    queued: int
    known: int  # tracks the ledger had already (done, or on their way)
    refused: int
    collections: tuple[ImportedList, ...]
    refusals: tuple[tuple[int, str, str], ...]  # (position, entry, why): the first ones


def upload_name(name: str | None) -> str:
    """The uploaded file's own name, without any folder; raises :class:`PlaylistFileError`
    when there is none to keep it under."""
    text = (name or "").strip()
    base = PureWindowsPath(PurePosixPath(text).name).name  # "C:\\x\\a.csv" and "../a.csv": a.csv
    if not base or base.startswith(".") or any(ord(ch) < 32 for ch in base):
        raise PlaylistFileError(
            "name the file (e.g. ?name=Playlist1.json or a Content-Disposition filename); "
            "its name and content say which format it is"
        )
    return base[:MAX_NAME_CHARS]


def import_playlist(ledger: InboxLedger, inbox_dir: Path, data: bytes, name: str) -> ImportOutcome:
    """Queue ``data`` (the bytes of the file ``name``); raises :class:`PlaylistFileError` with
    the reason (nothing is written) when it is no playlist file read here."""
    name = upload_name(name)
    if not data.strip():
        raise PlaylistFileError("the file is empty")
    parsed = read_playlist_file(data, name)
    stored = _keep(inbox_dir / "processed", name, data)  # before the ledger hears of it
    lists: list[NamedList] = []
    file_id = ledger.start_inbox_file(name)
    fresh: dict[str, bool] = {}
    refusals: list[tuple[int, str, str]] = []
    refused = 0
    batch: list[tuple[int, str, Link | None, str | None]] = []
    metas: dict[str, TrackMeta] = {}

    def flush() -> None:
        if batch:
            for added in ledger.add_inbox_lines(file_id, batch, metas=metas or None):
                fresh[added.key] = added.created or added.requeued
            batch.clear()
            metas.clear()

    fallback = Path(name).stem or name
    for line in playlist_results(parsed, lists=lists, fallback_name=fallback):
        batch.append((line.line_no, line.text, line.link, line.error))
        if line.link is not None and line.meta is not None:
            metas[line.link.key] = line.meta
        if line.link is None:
            refused += 1
            if len(refusals) < MAX_REFUSALS_SHOWN:
                refusals.append((line.line_no, line.text, line.error or "refused"))
        if len(batch) >= BATCH_LINES:
            flush()
    flush()
    save_lists(ledger, lists, origin=name)
    ledger.set_inbox_file_path(file_id, str(stored), str(stored) + ".report.txt")
    collections = tuple(
        ImportedList(
            listed.name,
            len(dict.fromkeys(listed.keys)),
            sum(fresh.get(key, False) for key in dict.fromkeys(listed.keys)),
        )  # fmt: skip
        for listed in lists
    )
    queued = sum(fresh.values())
    return ImportOutcome(stored, parsed.format, queued, len(fresh) - queued, refused,
                         collections, tuple(refusals))  # fmt: skip


def _keep(folder: Path, name: str, data: bytes) -> Path:
    """Write ``data`` under a free name in ``folder`` (never over another file)."""
    folder.mkdir(parents=True, exist_ok=True)
    for _ in range(5):
        target = free_path(folder, name)
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        except FileExistsError:
            continue  # taken in the meantime: find another name
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        return target
    raise PlaylistFileError(f"cannot find a free name for {name} in {folder}")
