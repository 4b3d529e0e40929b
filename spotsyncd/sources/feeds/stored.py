"""Followed feeds kept on disk between runs: each one's validators (``ETag``,
``Last-Modified``) and the feed as it was read, so the first poll after a restart can be a
conditional request (``source.FeedSource``).

One file per feed, named by its address's SHA-256: a line of JSON (address, validators, the
body's SHA-256), then the feed. It is replaced atomically, so two processes polling the same
feed never pair one answer's validators with another's body. A damaged, cut-short or foreign
file is ignored (the feed is then read whole); a file no poll has used for ``KEEP_S`` (an
unfollowed feed's) is removed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from spotsyncd.system.http import where

log = logging.getLogger(__name__)

KEEP_S = 60 * 86400.0  # a stored feed no poll used for this long is removed


@dataclass(frozen=True)
class Stored:
    etag: str | None
    last_modified: str | None
    body: bytes


class StoredFeeds:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, url: str) -> Path:
        return self.folder / (hashlib.sha256(url.encode("utf-8")).hexdigest() + ".feed")

    def load(self, url: str) -> Stored | None:
        """What a poll of ``url`` stored, or None (nothing, damaged, another address's)."""
        try:
            header, _, body = self._path(url).read_bytes().partition(b"\n")
            meta = json.loads(header)
        except (OSError, ValueError):
            return None
        if not isinstance(meta, dict) or meta.get("url") != url or not body:
            return None
        if meta.get("sha256") != hashlib.sha256(body).hexdigest():  # cut short, damaged
            return None
        etag, modified = meta.get("etag"), meta.get("last_modified")
        if not isinstance(etag, str | None) or not isinstance(modified, str | None):
            return None
        if not etag and not modified:
            return None
        return Stored(etag, modified, body)

    def save(self, url: str, stored: Stored) -> None:
        """Keep ``stored`` for ``url`` (atomically); a failure only costs a whole read later."""
        path = self._path(url)
        header = json.dumps({"url": url, "etag": stored.etag, "last_modified": stored.last_modified,
                             "sha256": hashlib.sha256(stored.body).hexdigest()})  # fmt: skip
        partial = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            partial.write_bytes(header.encode("utf-8") + b"\n" + stored.body)
            os.replace(partial, path)
        except OSError as exc:
            log.debug("feed %s not stored for the next start: %s", where(url), exc)
            with contextlib.suppress(OSError):
                partial.unlink()
            return
        self._prune()

    def touch(self, url: str) -> None:
        """Still followed (a 304 answered): not pruned."""
        with contextlib.suppress(OSError):
            os.utime(self._path(url))

    def forget(self, url: str) -> None:
        with contextlib.suppress(OSError):
            self._path(url).unlink()

    def _prune(self) -> None:
        old = time.time() - KEEP_S
        with contextlib.suppress(OSError):
            for found in self.folder.iterdir():
                with contextlib.suppress(OSError):
                    if found.stat().st_mtime < old:
                        found.unlink()
