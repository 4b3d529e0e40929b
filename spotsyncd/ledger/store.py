"""The Ledger object: tracks and their jobs, inbox files, collections, events."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.exc import OperationalError

from spotsyncd.core.errors import LedgerUnavailableError
from spotsyncd.core.models import JobState, Link, LinkKind, Listing, TrackMeta
from spotsyncd.ledger import db, migrate
from spotsyncd.ledger.browse import BrowseMixin, call_after_writes
from spotsyncd.ledger.filed import FiledMixin
from spotsyncd.ledger.follows import FollowsMixin
from spotsyncd.ledger.jobs import JobsMixin
from spotsyncd.ledger.recordings import RecordingsMixin
from spotsyncd.ledger.reports import ReportsMixin
from spotsyncd.ledger.rows import TRACK_COLUMNS, Added, ClaimedJob, TrackRow, row_to_track
from spotsyncd.ledger.schema import collection_items, events, inbox_files, inbox_lines, jobs, tracks
from spotsyncd.ledger.workers import WorkersMixin

__all__ = ["Added", "ClaimedJob", "Ledger", "TrackRow"]


class Ledger(
    JobsMixin, FollowsMixin, ReportsMixin, RecordingsMixin, BrowseMixin, FiledMixin, WorkersMixin
):
    def __init__(self, target: str | Path) -> None:
        """Open (and migrate, see migrate.py) the ledger at ``target``: a SQLite file's path,
        or a URL (``sqlite:///…``, ``postgresql+psycopg://…``)."""
        self.path = db.sqlite_path(target)  # None on PostgreSQL
        self.engine = db.open_engine(target)
        try:
            if self.path is not None:  # SQLite: locked, corrupt, read-only… named with a fix
                with db.translated(self.engine):
                    migrate.upgrade(self.engine)
            else:
                migrate.upgrade(self.engine)
        except migrate.NewerLedgerError as exc:
            self.engine.dispose()
            raise LedgerUnavailableError(f"{self.where}: {exc}") from None
        except OperationalError as exc:
            self.engine.dispose()
            raise LedgerUnavailableError(
                f"cannot open the ledger {self.where}: {db.describe_error(exc)}; "
                + db.fix_hint(self.engine)
            ) from None
        except BaseException:
            self.engine.dispose()
            raise
        self._listeners: list[Callable[[], None]] = []
        call_after_writes(self.engine, self.changed)

    def add_listener(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` after each write this process commits, and on ``changed()``
        (another process wrote: the daemon is nudged). It must return at once."""
        self._listeners.append(callback)

    def changed(self) -> None:
        for callback in list(self._listeners):
            callback()

    @property
    def where(self) -> str:
        """The ledger's location for messages (no password)."""
        return db.describe(self.engine)

    @staticmethod
    def describe_url(target: str | Path) -> str:
        """What ``where`` would say for ``target``, without opening it."""
        path = db.sqlite_path(target)
        if path is not None:
            return str(path)
        from sqlalchemy.engine import make_url

        return make_url(str(target)).render_as_string(hide_password=True)

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
        failed (or waiting) ones go back to pending when ``requeue_failed`` (the user asked
        again)."""
        if conn is None:
            with db.write(self.engine) as own:
                return self.add_links(
                    links, metas=metas, options=options, requeue_failed=requeue_failed, conn=own
                )
        now = time.time()
        opts_json = json.dumps(options, sort_keys=True) if options else None
        existing = self._existing(conn, {link.key for link in links})
        fresh: dict[str, dict[str, Any]] = {}
        for index, link in enumerate(links):
            if link.key in existing or link.key in fresh:
                continue
            meta = metas[index] if metas else None
            fresh[link.key] = {
                "key": link.key,
                "url": link.url,
                "source": str(link.source),
                "kind": str(link.kind),
                "override_url": link.override_url,
                "title": meta.title if meta else None,
                "artist": meta.artist if meta else None,
                "album": meta.album if meta else None,
                "meta_json": json.dumps(meta.to_dict()) if meta else None,
                "options_json": opts_json,
                "created_at": now,
            }
        new_ids = self._insert_new(conn, list(fresh.values()), now)
        results: list[Added] = []
        for index, link in enumerate(links):
            if link.key in new_ids:
                created = link.key in fresh
                fresh.pop(link.key, None)  # a repeat within the batch is not "created" again
                results.append(Added(new_ids[link.key], link.key, created, False, JobState.PENDING))
                continue
            meta = metas[index] if metas else None
            results.append(
                self._update_existing(conn, existing[link.key], link, meta, requeue_failed, now)
            )
        return results

    def _existing(self, conn: Connection, keys: set[str]) -> dict[str, Any]:
        """The track rows (id, key, state, override_url) already there for ``keys``."""
        found: dict[str, Any] = {}
        ordered = sorted(keys)
        for start in range(0, len(ordered), 500):
            chunk = ordered[start : start + 500]
            query = (
                select(tracks.c.id, tracks.c.key, jobs.c.state, tracks.c.override_url)
                .join(jobs, jobs.c.track_id == tracks.c.id)
                .where(tracks.c.key.in_(chunk))
            )
            found.update({row.key: row for row in conn.execute(query)})
        return found

    def _insert_new(
        self, conn: Connection, rows: list[dict[str, Any]], now: float
    ) -> dict[str, int]:
        """Insert new tracks with their pending jobs and a 'queued' event, in bulk."""
        if not rows:
            return {}
        inserted = conn.execute(
            insert(tracks).returning(tracks.c.id, tracks.c.key, sort_by_parameter_order=True),
            rows,
        ).all()
        ids = {row.key: row.id for row in inserted}
        conn.execute(
            insert(jobs),
            [
                {"track_id": i, "state": JobState.PENDING, "attempts": 0, "updated_at": now}
                for i in ids.values()
            ],
        )
        conn.execute(
            insert(events),
            [
                {
                    "ts": now,
                    "track_id": ids[r["key"]],
                    "follow_id": None,
                    "level": "info",
                    "kind": "queued",
                    "message": f"queued {r['url']}"[:4000],
                }
                for r in rows
            ],
        )
        return ids

    def _update_existing(
        self,
        conn: Connection,
        row: Any,
        link: Link,
        meta: TrackMeta | None,
        requeue_failed: bool,
        now: float,
    ) -> Added:
        """A link we already know: a new manual match or a repeat of a failed link queues it
        again; done tracks are left alone."""
        track_id, state = row.id, JobState(row.state)
        requeued = False
        if (
            link.override_url
            and link.override_url != row.override_url
            and state != JobState.RUNNING
        ):
            if state == JobState.PENDING:
                conn.execute(
                    update(tracks)
                    .where(tracks.c.id == track_id)
                    .values(override_url=link.override_url)
                )
            else:
                self._rematch(conn, track_id, link.override_url, now)
                state, requeued = JobState.PENDING, True
        elif state in (JobState.FAILED, JobState.WAITING) and requeue_failed:
            self._requeue(conn, track_id, now, "asked again")
            state, requeued = JobState.PENDING, True
        if meta is not None and state != JobState.DONE:
            self._merge_meta(conn, track_id, meta)
        return Added(track_id, link.key, False, requeued, state)

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
            self._job_done(conn, parent_id, now)
            note = "; ".join(listing.notes)
            self._event(
                conn,
                parent_id,
                "info",
                "expanded",
                f"{len(seen)} items" + (f" ({note})" if note else ""),
            )
            return added

    # ------------------------------------------------------------------ reading

    def track(self, key: str) -> TrackRow | None:
        with db.read(self.engine) as conn:
            row = conn.execute(
                select(*TRACK_COLUMNS)
                .join(jobs, jobs.c.track_id == tracks.c.id)
                .where(tracks.c.key == key)
            ).first()
        return row_to_track(row) if row else None

    def tracks(
        self,
        *,
        state: JobState | None = None,
        kind: LinkKind | None = None,
        limit: int | None = None,
    ) -> list[TrackRow]:
        query = select(*TRACK_COLUMNS).join(jobs, jobs.c.track_id == tracks.c.id)
        if state is not None:
            query = query.where(jobs.c.state == state)
        if kind is not None:
            query = query.where(tracks.c.kind == kind)
        query = query.order_by(tracks.c.id)
        if limit:
            query = query.limit(limit)
        with db.read(self.engine) as conn:
            return [row_to_track(r) for r in conn.execute(query)]

    def counts(self) -> dict[str, int]:
        with db.read(self.engine) as conn:
            rows = conn.execute(select(jobs.c.state, func.count()).group_by(jobs.c.state)).all()
        result = {str(s): 0 for s in JobState}
        result.update({state: count for state, count in rows})
        return result

    def last_done_at(self) -> float | None:
        """When a track was last filed (a cheap "did the library change?" probe)."""
        with db.read(self.engine) as conn:
            value = conn.execute(select(func.max(tracks.c.done_at))).scalar()
        return float(value) if value is not None else None

    def candidates(self, key: str) -> list[dict[str, Any]]:
        with db.read(self.engine) as conn:
            raw = conn.execute(select(tracks.c.candidates_json).where(tracks.c.key == key)).scalar()
        return json.loads(raw) if raw else []

    def tracks_by_ids(self, ids: Sequence[int]) -> list[TrackRow]:
        """The tracks with these ids, in the order given (unknown ids are left out)."""
        found: dict[int, TrackRow] = {}
        for start in range(0, len(ids), 500):
            query = (
                select(*TRACK_COLUMNS)
                .join(jobs, jobs.c.track_id == tracks.c.id)
                .where(tracks.c.id.in_(list(ids[start : start + 500])))
            )
            with db.read(self.engine) as conn:
                found.update({row.id: row_to_track(row) for row in conn.execute(query)})
        return [found[i] for i in ids if i in found]

    def children(self, parent_id: int) -> list[TrackRow]:
        query = (
            select(*TRACK_COLUMNS)
            .join(jobs, jobs.c.track_id == tracks.c.id)
            .join(collection_items, collection_items.c.child_id == tracks.c.id)
            .where(collection_items.c.parent_id == parent_id)
            .order_by(collection_items.c.position)
        )
        with db.read(self.engine) as conn:
            return [row_to_track(r) for r in conn.execute(query)]

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
            select(*TRACK_COLUMNS)
            .join(jobs, jobs.c.track_id == tracks.c.id)
            .where(jobs.c.state == JobState.FAILED)
            .order_by(jobs.c.updated_at.desc())
            .limit(limit)
        )
        with db.read(self.engine) as conn:
            return [row_to_track(r) for r in conn.execute(query)]

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
