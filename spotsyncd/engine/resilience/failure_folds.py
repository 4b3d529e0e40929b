"""Many failures with one cause told as one: when the tracks of one source start failing with
the same error class, the user hears "YouTube downloads failing since 03:10 (bot check); yt-dlp
2026.9.22 is 74 days old, 2026.11.30 is available" once, not 300 separate failures. The fold
lasts until a track from that source is done again.

Fed the ledger's notable events (``failed``, ``done``, ``circuit_open``) in order; answers the
lines to notify.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from spotsyncd.core.retries import hhmm

FOLD_AT = 3  # failures of one source and class in one look before they are told as one
# Classes that say something about the item itself (a removed video, a dead link, no match)
# are told one by one: thirty dead links are thirty things to look at, not one outage.
ITEM_CLASSES = frozenset({"permanent", "no_confident_match", "bad_link"})
LABELS = {"youtube": "YouTube downloads", "spotify": "Spotify tracks", "search": "searched tracks"}


@dataclass
class Fold:
    since: float
    count: int = 0
    told: bool = False


@dataclass
class FailureFolds:
    """``describe_extractor`` says how old yt-dlp is and whether a newer one exists."""

    describe_extractor: Callable[[], str]
    fold_at: int = FOLD_AT
    folds: dict[tuple[str, str], Fold] = field(default_factory=dict)

    def feed(self, rows: Iterable[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[str]]:
        """The failures still to tell one by one, and the summary lines to tell instead."""
        singles: list[dict[str, Any]] = []
        pending: dict[tuple[str, str], list[dict[str, Any]]] = {}
        summaries: list[str] = []
        for row in rows:
            kind = row["kind"]
            if kind == "done":
                source = str(row.get("source") or "")
                for group in [g for g in self.folds if g[0] == source]:
                    del self.folds[group]
                continue
            if kind == "circuit_open":
                lane, _, reason = str(row["message"]).partition(": ")
                if lane == "youtube":
                    group = ("youtube", "bot_check")
                    opened = self.folds.setdefault(group, Fold(since=row["ts"]))
                    if not opened.told:
                        opened.told = True
                        summaries.append(self._summary(group, opened, reason))
                continue
            group = (str(row.get("source") or "other"), str(row.get("error_class") or "failed"))
            if group[1] in ITEM_CLASSES:
                singles.append(row)
                continue
            fold = self.folds.get(group)
            if fold is not None and fold.told:
                fold.count += 1  # told already: this one is part of it
                continue
            pending.setdefault(group, []).append(row)
        for group, members in pending.items():
            if len(members) < self.fold_at:
                singles += members
                continue
            fold = self.folds.setdefault(group, Fold(since=members[0]["ts"]))
            fold.count += len(members)
            fold.told = True
            summaries.append(self._summary(group, fold, str(members[-1]["message"])))
        singles.sort(key=lambda row: row["ts"])
        return singles, summaries

    def _summary(self, group: tuple[str, str], fold: Fold, example: str) -> str:
        source, error_class = group
        label = LABELS.get(source, f"{source} downloads")
        count = f"{fold.count} tracks so far; " if fold.count else ""
        return (
            f"{label} failing since {hhmm(fold.since)} ({error_class.replace('_', ' ')}); "
            f"{self.describe_extractor()}. {count}latest: {example[:300]}"
        )
