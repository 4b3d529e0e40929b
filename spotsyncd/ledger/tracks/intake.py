"""Adding work: links (from the CLI, the API, an inbox file or a collection's listing) become
tracks with pending jobs, and an inbox file's lines are accepted durably, in one transaction."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from spotsyncd.core.models import JobState, Link, LinkKind, Listing, TrackMeta
from spotsyncd.ledger.base import Store
from spotsyncd.ledger.rows import Added
from spotsyncd.ledger.schema import collection_items, events, inbox_files, inbox_lines, jobs, tracks
from spotsyncd.ledger.tracks.event_log import EventLog
from spotsyncd.ledger.tracks.jobs import JobQueue


class Intake:
    def __init__(self, store: Store, events: EventLog, jobs: JobQueue) -> None:
        self._store = store
        self._events = events
        self._jobs = jobs

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
            with self._store.write() as own:
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
        merged: dict[int, TrackMeta] = {}
        for index, link in enumerate(links):
            if link.key in new_ids:
                created = link.key in fresh
                fresh.pop(link.key, None)  # a repeat within the batch is not "created" again
                results.append(Added(new_ids[link.key], link.key, created, False, JobState.PENDING))
                continue
            row = existing[link.key]
            added = self._update_existing(conn, row, link, requeue_failed, now)
            meta = metas[index] if metas else None
            if meta is not None and added.state != JobState.DONE:
                known = merged.get(row.id) or TrackMeta.from_dict(
                    json.loads(row.meta_json) if row.meta_json else None
                )
                merged[row.id] = meta.merged_over(known)
            results.append(added)
        self._store_metas(conn, merged, existing)
        return results

    def _store_metas(
        self, conn: Connection, merged: dict[int, TrackMeta], existing: dict[str, Any]
    ) -> None:
        """Write merged metadata in one statement, leaving out tracks it does not change (a
        playlist file imported again costs no write per track)."""
        before = {row.id: row.meta_json for row in existing.values()}
        rows = []
        for track_id, meta in merged.items():
            data = json.dumps(meta.to_dict())
            if data != before.get(track_id):
                rows.append({"tid": track_id, "mj": data, "t": meta.title, "ar": meta.artist,
                             "al": meta.album})  # fmt: skip
        if rows:
            conn.execute(
                update(tracks)
                .where(tracks.c.id == bindparam("tid"))
                .values(
                    meta_json=bindparam("mj"),
                    title=bindparam("t"),
                    artist=bindparam("ar"),
                    album=bindparam("al"),
                ),
                rows,
            )

    def _existing(self, conn: Connection, keys: set[str]) -> dict[str, Any]:
        """The track rows (id, key, state, override_url, meta_json) already there for
        ``keys``."""
        found: dict[str, Any] = {}
        ordered = sorted(keys)
        for start in range(0, len(ordered), 500):
            chunk = ordered[start : start + 500]
            query = (
                select(
                    tracks.c.id,
                    tracks.c.key,
                    jobs.c.state,
                    tracks.c.override_url,
                    tracks.c.meta_json,
                )  # fmt: skip
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
        self, conn: Connection, row: Any, link: Link, requeue_failed: bool, now: float
    ) -> Added:
        """A link we already know: a new manual match or a repeat of a failed link queues it
        again; done tracks are left alone (``add_links`` merges what is said of it)."""
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
                self._jobs.rematch_in(conn, track_id, link.override_url, now)
                state, requeued = JobState.PENDING, True
        elif state in (JobState.FAILED, JobState.WAITING) and requeue_failed:
            self._jobs.requeue_in(conn, track_id, now, "asked again")
            state, requeued = JobState.PENDING, True
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
        with self._store.write() as conn:
            self._merge_meta(conn, track_id, meta)

    def expand_collection(
        self, parent_id: int, listing: Listing, *, options: dict[str, Any] | None = None
    ) -> list[Added]:
        """Record a collection's items as tracks (jobs for new ones) and mark it done."""
        with self._store.write() as conn:
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
            self._jobs.mark_done_in(conn, parent_id, now)
            note = "; ".join(listing.notes)
            self._events.record(
                conn,
                parent_id,
                "info",
                "expanded",
                f"{len(seen)} items" + (f" ({note})" if note else ""),
            )
            return added

    # ------------------------------------------------------------------ inbox files

    def start_inbox_file(
        self, name: str, *, outcome: str = "accepted", reason: str | None = None
    ) -> int:
        """Record that an inbox file arrived; its lines follow in ``add_inbox_lines``."""
        with self._store.write() as conn:
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
        self,
        file_id: int,
        lines: Sequence[tuple[int, str, Link | None, str | None]],
        *,
        metas: Mapping[str, TrackMeta] | None = None,
    ) -> list[Added]:
        """Durably accept a batch of an inbox file's lines in one transaction. ``lines`` holds
        (line_no, text, link or None, refusal reason or None); ``metas`` what a playlist file
        says of some of the links, by key."""
        with self._store.write() as conn:
            links = [ln[2] for ln in lines if ln[2] is not None]
            given = [metas.get(link.key) for link in links] if metas else None
            added = self.add_links(links, metas=given, conn=conn) if links else []
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
        with self._store.write() as conn:
            conn.execute(
                update(inbox_files)
                .where(inbox_files.c.id == file_id)
                .values(stored_path=stored_path, report_path=report_path)
            )
