"""Ledger ↔ disk consistency: done tracks whose file vanished, files the ledger lost."""

from __future__ import annotations

import logging
from pathlib import Path

from spotsyncd.core.models import JobState, LinkKind
from spotsyncd.ledger import Ledger

log = logging.getLogger(__name__)


def missing_files(ledger: Ledger, library_dir: Path) -> list[tuple[str, str]]:
    """(key, path) of done tracks whose library file is gone."""
    missing = []
    for track in ledger.tracks(state=JobState.DONE):
        if track.kind == LinkKind.COLLECTION or not track.path:
            continue
        if not (library_dir / track.path).is_file():
            missing.append((track.key, track.path))
    return missing


def repair_missing_files(ledger: Ledger, library_dir: Path, *, repair: bool) -> list[str]:
    """Report done tracks whose file vanished; with ``repair``, queue them again."""
    found = missing_files(ledger, library_dir)
    keys = [key for key, _ in found]
    for key, path in found[:20]:
        log.warning("library file missing for %s: %s", key, path)
    if found and repair:
        ledger.requeue_filed(keys, "library file vanished; fetching it again")
        log.warning("%d tracks whose files vanished were queued to download again", len(keys))
    elif found:
        log.warning(
            "%d done tracks have no file any more; 'spotsyncd doctor --repair' "
            "downloads them again",
            len(keys),
        )
    return keys
