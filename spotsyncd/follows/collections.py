"""The ``.m3u8`` of each collection (the playlists an imported file or export brought), kept
beside the follows' ones in ``<library>/Playlists/`` and rewritten, like theirs, as downloads
finish: only downloaded tracks are listed, in the file's order (see ``playlists.py``)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol

from spotsyncd.follows.sync import Playlists
from spotsyncd.ledger.follows.collections import CollectionRow
from spotsyncd.ledger.follows.rows import FollowTrack

log = logging.getLogger(__name__)


class CollectionLedger(Protocol):
    """What the playlists of collections need (``ledger.Collections`` has it)."""

    def collections(self) -> list[CollectionRow]: ...
    def collection_tracks(self, collection_id: int) -> list[FollowTrack]: ...


if TYPE_CHECKING:  # mypy proves the ledger's collections repository is a CollectionLedger
    from spotsyncd.ledger import Collections

    _COLLECTIONS: type[CollectionLedger] = Collections


def write_collection_playlists(
    ledger: CollectionLedger, writer: Playlists, *, follow_names: Iterable[str] = ()
) -> int:
    """Rewrite every collection's playlist whose content changed; how many were written.

    A follow of the same name (following Spotify's liked songs is "Liked Songs" too) keeps the
    file: the two would otherwise overwrite each other's list on every rewrite."""
    taken = {name.casefold() for name in follow_names}
    written = 0
    for row in ledger.collections():
        if row.name.casefold() in taken:
            continue
        try:
            written += writer.write(row.name, ledger.collection_tracks(row.id))
        except OSError as exc:
            log.warning("%s: could not write its playlist file: %s", row.name, exc)
    return written
