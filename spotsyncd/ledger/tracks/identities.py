"""Identity in the ledger: the MusicBrainz and AcoustID answers cache
(``core.protocols.LookupCache``), one for every process that shares the ledger, so a recording
looked up once is not asked again by another worker within the cache's age; and the way out
of ``review`` (a track none of whose candidates was verified) when the user accepts one."""

from __future__ import annotations

import json
import time
from typing import Any

from sqlalchemy import select, update

from spotsyncd.core.errors import UserError
from spotsyncd.core.models import Identity, JobState
from spotsyncd.ledger.base import Store
from spotsyncd.ledger.dialects import insert_for
from spotsyncd.ledger.rows import TrackRow, track_by_id
from spotsyncd.ledger.schema import jobs, lookup_cache, tracks
from spotsyncd.ledger.tracks.event_log import EventLog
from spotsyncd.ledger.tracks.jobs import JobQueue


class Identities:
    def __init__(self, store: Store, events: EventLog, jobs: JobQueue) -> None:
        self._store = store
        self._events = events
        self._jobs = jobs

    def cached_answer(self, service: str, key: str, max_age_s: float) -> str | None:
        """The answer kept for ``(service, key)``, unless older than ``max_age_s``."""
        with self._store.read() as conn:
            row = conn.execute(
                select(lookup_cache.c.body, lookup_cache.c.fetched_at).where(
                    lookup_cache.c.service == service, lookup_cache.c.key == key
                )
            ).first()
        if row is None or row.fetched_at < time.time() - max_age_s:
            return None
        return str(row.body)

    def set_identity(self, track_id: int, identity: Identity) -> None:
        """Record who a filed track is and its verdict (``retag --identify``)."""
        with self._store.write() as conn:
            conn.execute(
                update(tracks)
                .where(tracks.c.id == track_id)
                .values(verdict=str(identity.verdict), identity_json=json.dumps(identity.to_dict()))
            )
            self._events.record(conn, track_id, "info", str(identity.verdict), identity.reason)

    def remember_answer(self, service: str, key: str, body: str) -> None:
        with self._store.write(serial=False) as conn:
            statement = insert_for(conn, lookup_cache).values(
                service=service, key=key, body=body, fetched_at=time.time()
            )
            conn.execute(
                statement.on_conflict_do_update(
                    index_elements=["service", "key"],
                    set_={"body": statement.excluded.body,
                          "fetched_at": statement.excluded.fetched_at},
                )
            )  # fmt: skip

    def hold_for_review(
        self,
        job_id: int,
        track_id: int,
        *,
        message: str,
        checked: list[dict[str, Any]],
        identity: Identity | None,
    ) -> None:
        """No candidate's audio verified: the track waits in ``review`` with the candidates as
        checked (each with its verdict) until the user picks one or accepts."""
        now = time.time()
        with self._store.write() as conn:
            values: dict[str, Any] = {}
            if identity is not None:
                values = {"verdict": str(identity.verdict),
                          "identity_json": json.dumps(identity.to_dict())}  # fmt: skip
            if checked:
                values["candidates_json"] = json.dumps(checked)
            if values:
                conn.execute(update(tracks).where(tracks.c.id == track_id).values(**values))
            conn.execute(
                update(jobs)
                .where(jobs.c.id == job_id)
                .values(state=JobState.REVIEW, retry_at=None, error_class="review",
                        error=message, updated_at=now, worker=None, progress_json=None)
            )  # fmt: skip
            self._events.record(conn, track_id, "warning", "review", message)

    def accept_review(self, key: str, url: str | None = None) -> TrackRow | None:
        """File a track in review: ``url``'s audio, or the candidate the matcher chose first
        (checked and found another recording: the user accepts it as it is)."""
        now = time.time()
        with self._store.write() as conn:
            row = conn.execute(
                select(tracks.c.id, tracks.c.candidates_json, jobs.c.state)
                .join(jobs, jobs.c.track_id == tracks.c.id)
                .where(tracks.c.key == key)
            ).first()
            if row is None:
                return None
            if row.state != JobState.REVIEW:
                raise UserError(f"{key} is {row.state}, not in review; nothing to accept")
            if url is None:
                checked = [c for c in json.loads(row.candidates_json or "[]") if c.get("url")]
                tried = [c for c in checked if c.get("verdict")] or checked
                if not tried:
                    raise UserError(f"{key} has no candidate to accept; choose the audio yourself")
                url = str(tried[0]["url"])
            self._jobs.rematch_in(conn, row.id, url, now)
            self._events.record(conn, row.id, "info", "accepted", f"accepted: {url}")
            return track_by_id(conn, row.id)
