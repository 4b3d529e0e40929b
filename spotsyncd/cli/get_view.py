"""What ``spotsyncd get`` shows: live bars on a terminal (rich), plain lines, or JSON lines.

Every view is fed the same :class:`~spotsyncd.engine.jobs.oneshot.Snapshot` a few times a second and
reports each track once, when it finishes. rich is imported only here (and only by ``get``).
"""

from __future__ import annotations

import json
import os
import re
import sys
from typing import Any, Protocol

from spotsyncd.engine.jobs.oneshot import Item, Snapshot


class View(Protocol):
    def start(self, snapshot: Snapshot) -> None: ...

    def update(self, snapshot: Snapshot) -> None: ...

    def stop(self, snapshot: Snapshot) -> None: ...


def make_view(*, json_lines: bool) -> View:
    if json_lines:
        return JsonView()
    if sys.stdout.isatty() and os.environ.get("TERM") != "dumb":
        return RichView()
    return PlainView()


def outcome(item: Item, *, already: bool = False) -> str:
    """'→ /music/a.mp3', or the reason it failed or waits."""
    if item.state == "done":
        return f"{'already in the library: ' if already else ''}{item.path or ''}"
    reason = f"{item.error_class}: {item.error}" if item.error_class else (item.error or "")
    if item.state == "deferred":
        why = item.waiting or reason or "a service asked to wait"
        return f"put off ({why}); the daemon retries it later"
    if item.state == "review":
        return (
            "in review: no candidate's audio was the recording asked for "
            f"('spotsyncd why {item.key}', then 'spotsyncd accept {item.key}' or the dashboard)"
        )
    return reason or "unknown error"


def stage_text(item: Item) -> str:
    progress = item.progress
    stage = str(progress.get("stage") or ("listing" if item.is_list else "starting"))
    if item.state == "pending":
        return item.waiting or ("retrying" if item.error else "queued")
    if stage != "downloading":
        return stage
    parts = ["downloading"]
    if progress.get("percent") is not None:
        parts.append(f"{float(progress['percent']):.0f}%")
    if progress.get("speed"):
        parts.append(f"{_size(float(progress['speed']))}/s")
    return " ".join(parts)


def _size(value: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Reporter:
    """Remembers which tracks were reported, and which were done before ``get`` started."""

    def __init__(self) -> None:
        self.reported: set[int] = set()
        self.already: set[int] = set()

    def note_start(self, snapshot: Snapshot) -> None:
        self.already = {i.track_id for i in snapshot.tracks if i.state == "done"}

    def newly_finished(self, snapshot: Snapshot) -> list[Item]:
        fresh = [i for i in snapshot.tracks if i.finished and i.track_id not in self.reported]
        self.reported.update(i.track_id for i in fresh)
        return fresh


class PlainView(_Reporter):
    """No terminal: a line when a track starts waiting (or waits for another reason), one per
    finished track, and a count at the end."""

    def __init__(self) -> None:
        super().__init__()
        self.told: dict[int, str] = {}  # track → the wait last told (its times left out)

    def start(self, snapshot: Snapshot) -> None:
        self.note_start(snapshot)
        self.update(snapshot)

    def update(self, snapshot: Snapshot) -> None:
        for item in snapshot.unfinished:
            kind = re.sub(r"[\d:]+", "", item.waiting)
            if self.told.get(item.track_id, "") != kind:
                self.told[item.track_id] = kind
                if item.waiting:
                    print(f"{_named(item)}: {item.waiting}", flush=True)
        for item in self.newly_finished(snapshot):
            already = item.track_id in self.already
            word = "already done" if already else item.state
            arrow = "→" if item.state == "done" else "—"
            path = str(item.path or "") if item.state == "done" else outcome(item)
            print(f"{word}: {_named(item)} {arrow} {path}", flush=True)

    def stop(self, snapshot: Snapshot) -> None:
        self.update(snapshot)
        print(_totals(snapshot), flush=True)


class JsonView(_Reporter):
    """``--json``: one object per finished track, nothing else on stdout."""

    def start(self, snapshot: Snapshot) -> None:
        self.note_start(snapshot)
        self.update(snapshot)

    def update(self, snapshot: Snapshot) -> None:
        for item in self.newly_finished(snapshot):
            data: dict[str, Any] = item.to_json()
            data["already"] = item.track_id in self.already
            sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
            sys.stdout.flush()

    def stop(self, snapshot: Snapshot) -> None:
        self.update(snapshot)


class RichView(_Reporter):
    """A terminal: a bar per running track, an overall bar, a summary table at the end."""

    def __init__(self) -> None:
        super().__init__()
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

        self.console = Console()
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(bar_width=24),
            TextColumn("{task.fields[status]}"),
            TimeRemainingColumn(),
            console=self.console,
            transient=True,
            refresh_per_second=8,
        )
        self.overall: Any = None
        self.rows: dict[int, Any] = {}

    def start(self, snapshot: Snapshot) -> None:
        self.note_start(snapshot)
        self.progress.start()
        self.overall = self.progress.add_task("all tracks", total=None, status="starting")
        self.update(snapshot)

    def update(self, snapshot: Snapshot) -> None:
        for item in self.newly_finished(snapshot):
            mark = {"done": "[green]✓[/]", "failed": "[red]✗[/]"}.get(item.state, "[yellow]…[/]")
            text = outcome(item, already=item.track_id in self.already)
            self.console.print(f"{mark} {_escape(item.label)} [dim]{_escape(text)}[/]")
        active = [i for i in snapshot.unfinished if i.state == "running" or i.waiting]
        for item in active:
            percent = item.progress.get("percent")
            label = _escape(_short(item.label, 40))
            total = 100.0 if percent is not None else None
            done, status = float(percent or 0.0), stage_text(item)
            if item.track_id not in self.rows:
                self.rows[item.track_id] = self.progress.add_task(label, total=total, status="")
            self.progress.update(
                self.rows[item.track_id],
                description=label,
                total=total,
                completed=done,
                status=status,
            )
        for track_id in set(self.rows) - {i.track_id for i in active}:
            self.progress.remove_task(self.rows.pop(track_id))
        finished = sum(1 for i in snapshot.tracks if i.finished)
        self.progress.update(
            self.overall,
            total=snapshot.total or None,
            completed=finished,
            status=_totals(snapshot),
        )

    def stop(self, snapshot: Snapshot) -> None:
        from rich.table import Table

        self.update(snapshot)
        self.progress.stop()
        table = Table(title=_totals(snapshot), title_justify="left")
        table.add_column("", no_wrap=True)
        table.add_column("track")
        table.add_column("file or reason")
        for item in (*snapshot.tracks, *snapshot.listing):
            already = item.track_id in self.already
            state = "already done" if already else item.state
            colour = {"done": "green", "failed": "red"}.get(item.state, "yellow")
            table.add_row(
                f"[{colour}]{state}[/]",
                _escape(item.label),
                _escape(str(item.path) if item.state == "done" else outcome(item)),
            )
        self.console.print(table)


def _named(item: Item) -> str:
    """``Artist - Title (key)``, or the key alone while nothing better is known."""
    return item.key if item.label == item.key else f"{item.label} ({item.key})"


def _totals(snapshot: Snapshot) -> str:
    """``2 done, 0 failed, 1 put off, 1 in review, 1 running, 3 waiting of 7``: every track
    counted, a collection not yet listed as one."""
    parts = [f"{snapshot.count('done')} done", f"{snapshot.count('failed')} failed"]
    if snapshot.count("deferred"):
        parts.append(f"{snapshot.count('deferred')} put off")
    if snapshot.count("review"):
        parts.append(f"{snapshot.count('review')} in review")
    if snapshot.count("skipped"):
        parts.append(f"{snapshot.count('skipped')} set aside")
    unfinished = snapshot.unfinished
    running = sum(1 for item in unfinished if item.state == "running")
    if running:
        parts.append(f"{running} running")
    if len(unfinished) - running:
        parts.append(f"{len(unfinished) - running} waiting")
    return ", ".join(parts) + f" of {snapshot.total}"


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
