"""Inbox files' reports (how each line fared) and the ``status``/``report`` summaries."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, or_, select, update

from spotsyncd.core.models import JobState, LinkKind
from spotsyncd.ledger.base import Store
from spotsyncd.ledger.schema import collection_items, inbox_files, inbox_lines, jobs, tracks


@dataclass(frozen=True)
class ReportLine:
    line_no: int
    text: str
    key: str | None
    state: str  # a JobState, or "refused"
    path: str | None
    error: str | None
    children: dict[str, int] | None  # for collections: counts of their items by state
    retry_at: float | None = None  # pending/waiting: when the next attempt is due


@dataclass(frozen=True)
class OpenReport:
    file_id: int
    name: str
    stored_path: str | None
    report_path: str | None


class Reports:
    def __init__(self, store: Store) -> None:
        self._store = store

    def report_lines(self, file_id: int) -> list[ReportLine]:
        query = (
            select(
                inbox_lines.c.line_no,
                inbox_lines.c.text,
                inbox_lines.c.error,
                tracks.c.id,
                tracks.c.key,
                tracks.c.kind,
                tracks.c.path,
                jobs.c.state,
                jobs.c.error.label("job_error"),
                jobs.c.retry_at,
            )
            .select_from(
                inbox_lines.outerjoin(tracks, tracks.c.id == inbox_lines.c.track_id).outerjoin(
                    jobs, jobs.c.track_id == tracks.c.id
                )
            )
            .where(inbox_lines.c.inbox_file_id == file_id)
            .order_by(inbox_lines.c.line_no)
        )
        lines: list[ReportLine] = []
        with self._store.read() as conn:
            for row in conn.execute(query):
                if row.key is None:
                    lines.append(
                        ReportLine(row.line_no, row.text, None, "refused", None, row.error, None)
                    )
                    continue
                children = None
                if row.kind == LinkKind.COLLECTION and row.state == JobState.DONE:
                    children = _leaf_counts(conn, row.id)
                lines.append(
                    ReportLine(
                        row.line_no,
                        row.text,
                        row.key,
                        row.state,
                        row.path,
                        row.job_error,
                        children,
                        row.retry_at,
                    )
                )
        return lines

    def open_reports(self) -> list[OpenReport]:
        with self._store.read() as conn:
            rows = conn.execute(
                select(
                    inbox_files.c.id,
                    inbox_files.c.name,
                    inbox_files.c.stored_path,
                    inbox_files.c.report_path,
                )
                .where(inbox_files.c.report_final.is_(False))
                .where(inbox_files.c.outcome == "accepted")
            ).all()
        return [OpenReport(r.id, r.name, r.stored_path, r.report_path) for r in rows]

    def mark_report_final(self, file_id: int) -> None:
        with self._store.write() as conn:
            conn.execute(
                update(inbox_files).where(inbox_files.c.id == file_id).values(report_final=True)
            )

    def next_slow_retry_at(self) -> float | None:
        """When the first waiting job is tried again (None: none is waiting)."""
        with self._store.read() as conn:
            value = conn.execute(
                select(func.min(jobs.c.retry_at)).where(jobs.c.state == JobState.WAITING)
            ).scalar()
        return float(value) if value is not None else None

    def summary(self, since: float | None = None) -> dict[str, Any]:
        """Totals for ``status``/``report``: done/failed counts, bytes, time, by reason."""
        since = 0.0 if since is None else since
        with self._store.read() as conn:
            done = conn.execute(
                select(
                    func.count(),
                    func.coalesce(func.sum(tracks.c.size_bytes), 0),
                    func.coalesce(func.sum(tracks.c.download_s), 0.0),
                    func.coalesce(func.sum(tracks.c.process_s), 0.0),
                )
                .join(jobs, jobs.c.track_id == tracks.c.id)
                .where(
                    jobs.c.state == JobState.DONE,
                    tracks.c.kind != LinkKind.COLLECTION,
                    tracks.c.done_at >= since,
                )
            ).one()
            failed = conn.execute(
                select(jobs.c.error_class, func.count())
                .where(jobs.c.state == JobState.FAILED, jobs.c.updated_at >= since)
                .group_by(jobs.c.error_class)
            ).all()
            waiting = conn.execute(
                select(func.count()).where(jobs.c.state == JobState.WAITING)
            ).scalar()
        count, size, download_s, process_s = done
        return {
            "since": since or None,
            "done": int(count),
            "failed": sum(n for _, n in failed),
            "failed_by_reason": {str(reason): n for reason, n in failed},
            "waiting": int(waiting or 0),  # now, whatever the period: slow retries to come
            "bytes": int(size),
            "download_seconds": round(float(download_s), 2),
            "process_seconds": round(float(process_s), 2),
            "average_speed_bps": round(size / download_s) if download_s else None,
            "generated_at": time.time(),
        }


def _leaf_counts(conn: Connection, parent_id: int) -> dict[str, int]:
    """States of a collection's tracks, through nested collections (an artist's albums): a
    listed collection counts as its items, one not listed yet as itself."""
    tree = (
        select(collection_items.c.child_id.label("id"))
        .where(collection_items.c.parent_id == parent_id)
        .cte("tree", recursive=True)
    )
    tree = tree.union(
        select(collection_items.c.child_id).join(tree, collection_items.c.parent_id == tree.c.id)
    )
    counts = conn.execute(
        select(jobs.c.state, func.count())
        .join(tree, tree.c.id == jobs.c.track_id)
        .join(tracks, tracks.c.id == jobs.c.track_id)
        .where(or_(tracks.c.kind != LinkKind.COLLECTION, jobs.c.state != JobState.DONE))
        .group_by(jobs.c.state)
    ).all()
    return {state: n for state, n in counts}
