"""The Ledger object: tracks and their jobs, inbox files, collections, events."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, and_, func, insert, or_, select, update

from ..models import JobState, Link, LinkKind, Listing, Source, TrackMeta
from . import db
from .follows import FollowsMixin
from .reports import ReportsMixin
from .schema import collection_items, events, inbox_files, inbox_lines, jobs, tracks


@dataclass(frozen=True)
class TrackRow:
    """A track with its job, as read from the ledger."""

    id: int
    key: str
    url: str
    source: Source
    kind: LinkKind
    state: JobState
    attempts: int
    title: str | None
    artist: str | None
    album: str | None
    path: str | None
    error_class: str | None
    error: str | None
    retry_at: float | None
    override_url: str | None
    meta: TrackMeta
    options: dict[str, Any]
    size_bytes: int | None
    duration_s: float | None
    done_at: float | None
    created_at: float
    progress: dict[str, Any] | None

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "state": str(self.state),
            "title": self.title,
            "artist": self.artist,
            "album": self.album,
            "path": self.path,
            "error": self.error,
            "error_class": self.error_class,
            "attempts": self.attempts,
            "url": self.url,
            "source": str(self.source),
            "kind": str(self.kind),
            "size_bytes": self.size_bytes,
            "duration_s": self.duration_s,
            "retry_at": self.retry_at,
            "done_at": self.done_at,
        }


@dataclass(frozen=True)
class ClaimedJob:
    job_id: int
    attempts: int
    track: TrackRow


_TRACK_COLUMNS = (
    tracks.c.id,
    tracks.c.key,
    tracks.c.url,
    tracks.c.source,
    tracks.c.kind,
    jobs.c.state,
    jobs.c.attempts,
    tracks.c.title,
    tracks.c.artist,
    tracks.c.album,
    tracks.c.path,
    jobs.c.error_class,
    jobs.c.error,
    jobs.c.retry_at,
    tracks.c.override_url,
    tracks.c.meta_json,
    tracks.c.options_json,
    tracks.c.size_bytes,
    tracks.c.duration_s,
    tracks.c.done_at,
    tracks.c.created_at,
    jobs.c.progress_json,
)


def _row_to_track(row: Any) -> TrackRow:
    return TrackRow(
        id=row.id,
        key=row.key,
        url=row.url,
        source=Source(row.source),
        kind=LinkKind(row.kind),
        state=JobState(row.state),
        attempts=row.attempts,
        title=row.title,
        artist=row.artist,
        album=row.album,
        path=row.path,
        error_class=row.error_class,
        error=row.error,
        retry_at=row.retry_at,
        override_url=row.override_url,
        meta=TrackMeta.from_dict(json.loads(row.meta_json) if row.meta_json else None),
        options=json.loads(row.options_json) if row.options_json else {},
        size_bytes=row.size_bytes,
        duration_s=row.duration_s,
        done_at=row.done_at,
        created_at=row.created_at,
        progress=json.loads(row.progress_json) if row.progress_json else None,
    )


@dataclass(frozen=True)
class Added:
    """What ``add_links`` did with one link."""

    track_id: int
    key: str
    created: bool  # a new track row
    requeued: bool  # an existing failed track went back to pending
    state: JobState


class Ledger(FollowsMixin, ReportsMixin):
    def __init__(self, path: Path) -> None:
        self.path = path
        self.engine = db.open_engine(path)
        db.migrate(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    # ------------------------------------------------------------------ adding work

    def add_links(
        self,
        links: Sequence[Link],
        *,
        metas: Sequence[TrackMeta | None] | None = None,
        options: dict[str, Any] | None = None,
        requeue_failed: bool = True,
        conn: Connection | None = None,
    ) -> list[Added]:
        """Make sure each link has a track row and a job. Done tracks are left alone;
        failed ones go back to pending when ``requeue_failed`` (the user asked again)."""
        if conn is None:
            with db.write(self.engine) as own:
                return self.add_links(
                    links, metas=metas, options=options, requeue_failed=requeue_failed, conn=own
                )
        now = time.time()
        results: list[Added] = []
        opts_json = json.dumps(options, sort_keys=True) if options else None
        for index, link in enumerate(links):
            meta = metas[index] if metas else None
            row = conn.execute(
                select(tracks.c.id, jobs.c.state, jobs.c.id.label("job_id"), tracks.c.override_url)
                .join(jobs, jobs.c.track_id == tracks.c.id)
                .where(tracks.c.key == link.key)
            ).first()
            if row is None:
                track_id = conn.execute(
                    insert(tracks).values(
                        key=link.key,
                        url=link.url,
                        source=str(link.source),
                        kind=str(link.kind),
                        override_url=link.override_url,
                        title=meta.title if meta else None,
                        artist=meta.artist if meta else None,
                        album=meta.album if meta else None,
                        meta_json=json.dumps(meta.to_dict()) if meta else None,
                        options_json=opts_json,
                        created_at=now,
                    )
                ).inserted_primary_key[0]  # type: ignore[index]
                conn.execute(
                    insert(jobs).values(
                        track_id=track_id, state=JobState.PENDING, attempts=0, updated_at=now
                    )
                )
                self._event(conn, track_id, "info", "queued", f"queued {link.url}")
                results.append(Added(track_id, link.key, True, False, JobState.PENDING))
                continue
            track_id, state = row.id, JobState(row.state)
            requeued = False
            if (
                link.override_url
                and link.override_url != row.override_url
                and state != JobState.RUNNING
            ):
                conn.execute(
                    update(tracks)
                    .where(tracks.c.id == track_id)
                    .values(override_url=link.override_url)
                )
                if state != JobState.PENDING:
                    self._requeue(conn, track_id, now, "manual match: " + link.override_url)
                    state, requeued = JobState.PENDING, True
            elif state == JobState.FAILED and requeue_failed:
                self._requeue(conn, track_id, now, "asked again")
                state, requeued = JobState.PENDING, True
            if meta is not None and state != JobState.DONE:
                self._merge_meta(conn, track_id, meta)
            results.append(Added(track_id, link.key, False, requeued, state))
        return results

    def _requeue(self, conn: Connection, track_id: int, now: float, why: str) -> None:
        conn.execute(
            update(jobs)
            .where(jobs.c.track_id == track_id)
            .values(
                state=JobState.PENDING,
                attempts=0,
                retry_at=None,
                error=None,
                error_class=None,
                updated_at=now,
            )
        )
        self._event(conn, track_id, "info", "requeued", why)

    def _merge_meta(self, conn: Connection, track_id: int, meta: TrackMeta) -> None:
        old = conn.execute(select(tracks.c.meta_json).where(tracks.c.id == track_id)).scalar()
        merged = meta.merged_over(TrackMeta.from_dict(json.loads(old) if old else None))
        conn.execute(
            update(tracks)
            .where(tracks.c.id == track_id)
            .values(
                meta_json=json.dumps(merged.to_dict()),
                title=merged.title,
                artist=merged.artist,
                album=merged.album,
            )
        )

    def update_meta(self, track_id: int, meta: TrackMeta) -> None:
        with db.write(self.engine) as conn:
            self._merge_meta(conn, track_id, meta)

    def expand_collection(
        self, parent_id: int, listing: Listing, *, options: dict[str, Any] | None = None
    ) -> list[Added]:
        """Record a collection's items as tracks (jobs for new ones) and mark it done."""
        with db.write(self.engine) as conn:
            added = self.add_links(
                [i.link for i in listing.items],
                metas=[i.meta for i in listing.items],
                options=options,
                requeue_failed=False,
                conn=conn,
            )
            conn.execute(collection_items.delete().where(collection_items.c.parent_id == parent_id))
            seen: set[int] = set()
            for position, item in enumerate(added):
                if item.track_id in seen or item.track_id == parent_id:
                    continue
                seen.add(item.track_id)
                conn.execute(
                    insert(collection_items).values(
                        parent_id=parent_id, child_id=item.track_id, position=position
                    )
                )
            now = time.time()
            conn.execute(
                update(tracks)
                .where(tracks.c.id == parent_id)
                .values(kind=LinkKind.COLLECTION, title=listing.title, done_at=now)
            )
            conn.execute(
                update(jobs)
                .where(jobs.c.track_id == parent_id)
                .values(
                    state=JobState.DONE,
                    updated_at=now,
                    error=None,
                    error_class=None,
                    progress_json=None,
                )
            )
            note = "; ".join(listing.notes)
            self._event(
                conn,
                parent_id,
                "info",
                "expanded",
                f"{len(seen)} items" + (f" ({note})" if note else ""),
            )
            return added

    # ------------------------------------------------------------------ jobs

    def reset_running(self) -> int:
        """Jobs left ``running`` by a crash go back to pending (attempt not counted)."""
        with db.write(self.engine) as conn:
            result = conn.execute(
                update(jobs)
                .where(jobs.c.state == JobState.RUNNING)
                .values(
                    state=JobState.PENDING,
                    worker=None,
                    attempts=func.max(jobs.c.attempts - 1, 0),
                    updated_at=time.time(),
                    progress_json=None,
                )
            )
            return int(result.rowcount or 0)

    def claim_next_job(self, worker: str, *, now: float | None = None) -> ClaimedJob | None:
        """Atomically take the oldest due pending job (one UPDATE … RETURNING)."""
        now = time.time() if now is None else now
        due = (
            select(jobs.c.id)
            .where(jobs.c.state == JobState.PENDING)
            .where(or_(jobs.c.retry_at.is_(None), jobs.c.retry_at <= now))
            .order_by(jobs.c.retry_at.is_not(None), jobs.c.id)
            .limit(1)
            .scalar_subquery()
        )
        with db.write(self.engine) as conn:
            row = conn.execute(
                update(jobs)
                .where(and_(jobs.c.id == due, jobs.c.state == JobState.PENDING))
                .values(
                    state=JobState.RUNNING,
                    worker=worker,
                    claimed_at=now,
                    updated_at=now,
                    attempts=jobs.c.attempts + 1,
                )
                .returning(jobs.c.id, jobs.c.track_id, jobs.c.attempts)
            ).first()
            if row is None:
                return None
            track = self._track_by_id(conn, row.track_id)
        return ClaimedJob(job_id=row.id, attempts=row.attempts, track=track)

    def next_due_at(self) -> float | None:
        """When the next pending job becomes due (None: nothing pending)."""
        with db.read(self.engine) as conn:
            row = conn.execute(
                select(func.count(), func.min(func.coalesce(jobs.c.retry_at, 0))).where(
                    jobs.c.state == JobState.PENDING
                )
            ).first()
        if row is None or not row[0]:
            return None
        return float(row[1])

    def finish_job(
        self,
        job_id: int,
        track_id: int,
        *,
        path: str,
        size_bytes: int,
        duration_s: float | None,
        meta: TrackMeta,
        info: dict[str, Any] | None,
        audio_settings: str,
        loudness_lufs: float | None,
        download_s: float,
        process_s: float,
        message: str,
    ) -> None:
        now = time.time()
        with db.write(self.engine) as conn:
            conn.execute(
                update(tracks)
                .where(tracks.c.id == track_id)
                .values(
                    path=path,
                    kind=LinkKind.TRACK,  # a generic link that turned out to be one item
                    size_bytes=size_bytes,
                    duration_s=duration_s,
                    meta_json=json.dumps(meta.to_dict()),
                    title=meta.title,
                    artist=meta.artist,
                    album=meta.album,
                    info_json=json.dumps(info) if info else None,
                    audio_settings=audio_settings,
                    loudness_lufs=loudness_lufs,
                    done_at=now,
                    download_s=download_s,
                    process_s=process_s,
                )
            )
            conn.execute(
                update(jobs)
                .where(jobs.c.id == job_id)
                .values(
                    state=JobState.DONE,
                    updated_at=now,
                    error=None,
                    error_class=None,
                    retry_at=None,
                    progress_json=None,
                    worker=None,
                )
            )
            self._event(conn, track_id, "info", "done", message)

    def fail_job(
        self,
        job_id: int,
        track_id: int,
        *,
        error_class: str,
        message: str,
        retryable: bool,
        max_retries: int,
        backoff_s: float,
    ) -> float | None:
        """Record a failure. Retryable ones go back to pending with exponential backoff and
        jitter until ``max_retries`` retries are spent (1 + max_retries attempts in all)."""
        now = time.time()
        with db.write(self.engine) as conn:
            attempts = conn.execute(select(jobs.c.attempts).where(jobs.c.id == job_id)).scalar()
            attempts = int(attempts or 1)
            retry_at: float | None = None
            if retryable and attempts <= max_retries:
                delay = backoff_s * (2 ** (attempts - 1))
                retry_at = now + delay * random.uniform(1.0, 1.25)
            state = JobState.PENDING if retry_at is not None else JobState.FAILED
            conn.execute(
                update(jobs)
                .where(jobs.c.id == job_id)
                .values(
                    state=state,
                    retry_at=retry_at,
                    error_class=error_class,
                    error=message,
                    updated_at=now,
                    worker=None,
                    progress_json=None,
                )
            )
            if retry_at is None:
                self._event(conn, track_id, "error", "failed", f"{error_class}: {message}")
            else:
                self._event(
                    conn,
                    track_id,
                    "warning",
                    "retry",
                    f"attempt {attempts} failed ({error_class}: {message}); "
                    f"retrying in {retry_at - now:.0f}s",
                )
            return retry_at

    def defer_job(self, job_id: int, track_id: int, until: float, why: str) -> None:
        """Put a claimed job back without spending an attempt (rate limit, open circuit,
        shutdown)."""
        with db.write(self.engine) as conn:
            conn.execute(
                update(jobs)
                .where(jobs.c.id == job_id)
                .values(
                    state=JobState.PENDING,
                    retry_at=until,
                    attempts=func.max(jobs.c.attempts - 1, 0),
                    updated_at=time.time(),
                    worker=None,
                    progress_json=None,
                    error=why if until > time.time() else jobs.c.error,
                )
            )
            if until > time.time():
                self._event(conn, track_id, "info", "deferred", why)

    def set_progress(self, job_id: int, progress: dict[str, Any]) -> None:
        with db.write(self.engine) as conn:
            conn.execute(
                update(jobs).where(jobs.c.id == job_id).values(progress_json=json.dumps(progress))
            )

    def set_candidates(self, track_id: int, ranked: list[dict[str, Any]]) -> None:
        with db.write(self.engine) as conn:
            conn.execute(
                update(tracks)
                .where(tracks.c.id == track_id)
                .values(candidates_json=json.dumps(ranked))
            )

    def reserve_path(self, track_id: int, path: str) -> bool:
        """Claim a library path for a track. False if another track holds it."""
        with db.write(self.engine) as conn:
            holder = conn.execute(select(tracks.c.id).where(tracks.c.path == path)).scalar()
            if holder is not None and holder != track_id:
                return False
            conn.execute(update(tracks).where(tracks.c.id == track_id).values(path=path))
            return True

    def path_owner(self, path: str) -> str | None:
        with db.read(self.engine) as conn:
            return conn.execute(select(tracks.c.key).where(tracks.c.path == path)).scalar()

    def retry(self, keys: Iterable[str] = (), *, failed: bool = False) -> int:
        """Send tracks back to pending with fresh attempts. Done tracks are left alone."""
        now = time.time()
        with db.write(self.engine) as conn:
            ids: list[int] = []
            if failed:
                ids += (
                    conn.execute(select(jobs.c.track_id).where(jobs.c.state == JobState.FAILED))
                    .scalars()
                    .all()
                )
            for key in keys:
                row = conn.execute(
                    select(tracks.c.id, jobs.c.state)
                    .join(jobs, jobs.c.track_id == tracks.c.id)
                    .where(tracks.c.key == key)
                ).first()
                if row is not None and row.state in (JobState.FAILED, JobState.PENDING):
                    ids.append(row.id)
            for track_id in ids:
                self._requeue(conn, track_id, now, "retry requested")
            return len(ids)

    def requeue_missing(self, keys: Iterable[str]) -> int:
        """Done tracks whose library file vanished: forget the path and fetch them again."""
        now = time.time()
        count = 0
        with db.write(self.engine) as conn:
            for key in keys:
                track_id = conn.execute(select(tracks.c.id).where(tracks.c.key == key)).scalar()
                if track_id is None:
                    continue
                conn.execute(update(tracks).where(tracks.c.id == track_id).values(path=None))
                self._requeue(conn, track_id, now, "library file vanished; fetching it again")
                count += 1
        return count

    def set_override(self, key: str, url: str) -> TrackRow | None:
        """Use ``url``'s audio for ``key`` (manual match) and run it again, even if done."""
        now = time.time()
        with db.write(self.engine) as conn:
            track_id = conn.execute(select(tracks.c.id).where(tracks.c.key == key)).scalar()
            if track_id is None:
                return None
            conn.execute(update(tracks).where(tracks.c.id == track_id).values(override_url=url))
            self._requeue(conn, track_id, now, f"manual match: {url}")
            return self._track_by_id(conn, track_id)

    # ------------------------------------------------------------------ reading

    def _track_by_id(self, conn: Connection, track_id: int) -> TrackRow:
        row = conn.execute(
            select(*_TRACK_COLUMNS)
            .join(jobs, jobs.c.track_id == tracks.c.id)
            .where(tracks.c.id == track_id)
        ).one()
        return _row_to_track(row)

    def track(self, key: str) -> TrackRow | None:
        with db.read(self.engine) as conn:
            row = conn.execute(
                select(*_TRACK_COLUMNS)
                .join(jobs, jobs.c.track_id == tracks.c.id)
                .where(tracks.c.key == key)
            ).first()
        return _row_to_track(row) if row else None

    def tracks(
        self,
        *,
        state: JobState | None = None,
        kind: LinkKind | None = None,
        limit: int | None = None,
    ) -> list[TrackRow]:
        query = select(*_TRACK_COLUMNS).join(jobs, jobs.c.track_id == tracks.c.id)
        if state is not None:
            query = query.where(jobs.c.state == state)
        if kind is not None:
            query = query.where(tracks.c.kind == kind)
        query = query.order_by(tracks.c.id)
        if limit:
            query = query.limit(limit)
        with db.read(self.engine) as conn:
            return [_row_to_track(r) for r in conn.execute(query)]

    def counts(self) -> dict[str, int]:
        with db.read(self.engine) as conn:
            rows = conn.execute(select(jobs.c.state, func.count()).group_by(jobs.c.state)).all()
        result = {str(s): 0 for s in JobState}
        result.update({state: count for state, count in rows})
        return result

    def candidates(self, key: str) -> list[dict[str, Any]]:
        with db.read(self.engine) as conn:
            raw = conn.execute(select(tracks.c.candidates_json).where(tracks.c.key == key)).scalar()
        return json.loads(raw) if raw else []

    def children(self, parent_id: int) -> list[TrackRow]:
        query = (
            select(*_TRACK_COLUMNS)
            .join(jobs, jobs.c.track_id == tracks.c.id)
            .join(collection_items, collection_items.c.child_id == tracks.c.id)
            .where(collection_items.c.parent_id == parent_id)
            .order_by(collection_items.c.position)
        )
        with db.read(self.engine) as conn:
            return [_row_to_track(r) for r in conn.execute(query)]

    def events_for(self, track_id: int, limit: int = 50) -> list[dict[str, Any]]:
        with db.read(self.engine) as conn:
            rows = conn.execute(
                select(events.c.ts, events.c.level, events.c.kind, events.c.message)
                .where(events.c.track_id == track_id)
                .order_by(events.c.id.desc())
                .limit(limit)
            ).all()
        return [dict(r._mapping) for r in reversed(rows)]

    def recent_failures(self, limit: int = 10) -> list[TrackRow]:
        query = (
            select(*_TRACK_COLUMNS)
            .join(jobs, jobs.c.track_id == tracks.c.id)
            .where(jobs.c.state == JobState.FAILED)
            .order_by(jobs.c.updated_at.desc())
            .limit(limit)
        )
        with db.read(self.engine) as conn:
            return [_row_to_track(r) for r in conn.execute(query)]

    def running(self) -> list[TrackRow]:
        return self.tracks(state=JobState.RUNNING)

    def integrity_check(self) -> list[str]:
        return db.integrity_check(self.engine)

    # ------------------------------------------------------------------ inbox files

    def start_inbox_file(
        self, name: str, *, outcome: str = "accepted", reason: str | None = None
    ) -> int:
        """Record that an inbox file arrived; its lines follow in ``add_inbox_lines``."""
        with db.write(self.engine) as conn:
            result = conn.execute(
                insert(inbox_files).values(
                    name=name,
                    received_at=time.time(),
                    outcome=outcome,
                    reason=reason,
                    lines_accepted=0,
                    lines_refused=0,
                    report_final=outcome != "accepted",
                )
            )
            return int(result.inserted_primary_key[0])  # type: ignore[index]

    def add_inbox_lines(
        self, file_id: int, lines: Sequence[tuple[int, str, Link | None, str | None]]
    ) -> list[Added]:
        """Durably accept a batch of an inbox file's lines in one transaction. ``lines`` holds
        (line_no, text, link or None, refusal reason or None)."""
        with db.write(self.engine) as conn:
            links = [ln[2] for ln in lines if ln[2] is not None]
            added = self.add_links(links, conn=conn) if links else []
            by_key = {a.key: a.track_id for a in added}
            rows = [
                {
                    "inbox_file_id": file_id,
                    "line_no": no,
                    "text": text[:2000],
                    "track_id": by_key.get(link.key) if link else None,
                    "error": error,
                }
                for no, text, link, error in lines
            ]
            if rows:
                conn.execute(insert(inbox_lines), rows)
            accepted = sum(1 for ln in lines if ln[2] is not None)
            conn.execute(
                update(inbox_files)
                .where(inbox_files.c.id == file_id)
                .values(
                    lines_accepted=inbox_files.c.lines_accepted + accepted,
                    lines_refused=inbox_files.c.lines_refused + len(lines) - accepted,
                )
            )
            return added

    def set_inbox_file_path(self, file_id: int, stored_path: str, report_path: str) -> None:
        with db.write(self.engine) as conn:
            conn.execute(
                update(inbox_files)
                .where(inbox_files.c.id == file_id)
                .values(stored_path=stored_path, report_path=report_path)
            )

    # ------------------------------------------------------------------ events

    def _event(
        self,
        conn: Connection,
        track_id: int | None,
        level: str,
        kind: str,
        message: str,
        follow_id: int | None = None,
    ) -> None:
        conn.execute(
            insert(events).values(
                ts=time.time(),
                track_id=track_id,
                follow_id=follow_id,
                level=level,
                kind=kind,
                message=message[:4000],
            )
        )

    def event(
        self,
        level: str,
        kind: str,
        message: str,
        *,
        track_id: int | None = None,
        follow_id: int | None = None,
    ) -> None:
        with db.write(self.engine) as conn:
            self._event(conn, track_id, level, kind, message, follow_id)
