"""Answers kept until the ledger changes: grouping every filed track into albums or artists,
or sorting them by title, takes a ledger of 100,000 tracks hundreds of milliseconds
(``bench/library.py``), and the library page asks the same again and again while nothing is
filed. Every change of a track's state writes an event, so the newest event id says whether a
kept answer is still true."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar, cast

from spotsyncd.ledger import Ledger

MAX_KEPT = 64
T = TypeVar("T")


class AnswerCache:
    def __init__(self, max_kept: int = MAX_KEPT) -> None:
        self.max_kept = max_kept
        self._lock = threading.Lock()
        self._kept: OrderedDict[Hashable, tuple[int, Any]] = OrderedDict()

    def get(self, ledger: Ledger, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()``'s answer, or the one kept for ``key`` if no event came since."""
        version = ledger.last_event_id()
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None and kept[0] == version:
                self._kept.move_to_end(key)
                return cast(T, kept[1])
        value = compute()
        with self._lock:
            self._kept[key] = (version, value)
            self._kept.move_to_end(key)
            while len(self._kept) > self.max_kept:
                self._kept.popitem(last=False)
        return value
