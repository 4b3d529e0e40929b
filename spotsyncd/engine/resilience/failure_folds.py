"""Many failures with one cause told as one: when the tracks of one source start failing with
the same error class, the user hears "YouTube downloads failing since 03:10 (bot check); yt-dlp
2026.9.22 is 74 days old, 2026.11.30 is available" once, not 300 separate failures. The fold
lasts until a track from that source is done again.

Fed the ledger's notable events in order (``failed`` and ``waiting``: a track that failed for
good or spent its fast retries; ``done``; ``circuit_open``); answers the lines to notify. The
first failures of a streak are still told one by one (they may be just those tracks).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from spotsyncd.core.retries import hhmm

FOLD_AT = 3  # failures of one source and class within FOLD_WINDOW_S are told as one
FOLD_WINDOW_S = 3600.0
# Classes that say something about the item itself (a removed video, a dead link, no match)
# are told one by one: thirty dead links are thirty things to look at, not one outage.
ITEM_CLASSES = frozenset({"permanent", "no_confident_match", "bad_link"})
LABELS = {"youtube": "YouTube downloads", "spotify": "Spotify tracks", "search": "searched tracks"}


@dataclass
class Fold:
    since: float  # the first failure since the source last worked
    count: int = 0
    recent: list[float] = field(default_factory=list)  # within FOLD_WINDOW_S, until told
    told: bool = False


@dataclass
class FailureFolds:
    """``describe_extractor`` says how old yt-dlp is and whether a newer one exists."""

    describe_extractor: Callable[[], str]
    fold_at: int = FOLD_AT
    window_s: float = FOLD_WINDOW_S
    folds: dict[tuple[str, str], Fold] = field(default_factory=dict)

    def feed(self, rows: Iterable[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[str]]:
        """The failures still to tell one by one, and the summary lines to tell instead.
        ``waiting`` rows (fast retries spent) count towards a fold but are never told alone."""
        singles: list[dict[str, Any]] = []
        summaries: list[str] = []
        for row in rows:
            kind = row["kind"]
            if kind == "done":
                source = str(row.get("source") or "")
                for group in [g for g in self.folds if g[0] == source]:
                    del self.folds[group]
            elif kind == "circuit_open":
                lane, _, reason = str(row["message"]).partition(": ")
                if lane == "youtube":
                    group = ("youtube", "bot_check")
                    opened = self.folds.setdefault(group, Fold(since=row["ts"]))
                    if not opened.told:
                        opened.told = True
                        summaries.append(self._summary(group, opened, reason))
            else:
                summary = self._failure(row)
                if summary is not None:
                    summaries.append(summary)
                elif kind == "failed" and not self._told(row):
                    singles.append(row)
        return singles, summaries

    def _group(self, row: dict[str, Any]) -> tuple[str, str]:
        return (str(row.get("source") or "other"), str(row.get("error_class") or "failed"))

    def _told(self, row: dict[str, Any]) -> bool:
        fold = self.folds.get(self._group(row))
        return fold is not None and fold.told

    def _failure(self, row: dict[str, Any]) -> str | None:
        """Count one failure; the summary when it completes a fold."""
        group = self._group(row)
        if group[1] in ITEM_CLASSES:
            return None
        fold = self.folds.setdefault(group, Fold(since=row["ts"]))
        fold.count += 1
        if fold.told:
            return None
        fold.recent = [t for t in fold.recent if row["ts"] - t < self.window_s] + [row["ts"]]
        if len(fold.recent) < self.fold_at:
            return None
        fold.told = True
        return self._summary(group, fold, str(row["message"]))

    def _summary(self, group: tuple[str, str], fold: Fold, example: str) -> str:
        source, error_class = group
        label = LABELS.get(source, f"{source} downloads")
        count = f"{fold.count} tracks so far; " if fold.count else ""
        return (
            f"{label} failing since {hhmm(fold.since)} ({error_class.replace('_', ' ')}); "
            f"{self.describe_extractor()}. {count}latest: {example[:300]}"
        )
