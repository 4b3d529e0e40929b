"""Source health in the ledger: each source's last canary (ok, or failing since when and why),
and the recent downloads a canary can try again (``extractors`` and ``sources`` checks)."""

from __future__ import annotations

import json
import time
from typing import Any

from sqlalchemy import select

from spotsyncd.core.models import JobState, LinkKind
from spotsyncd.ledger.base import Store
from spotsyncd.ledger.schema import jobs, source_health, tracks

OK, FAILING = "ok", "failing"


class SourceHealth:
    def __init__(self, store: Store) -> None:
        self._store = store

    def recent_audio_urls(self, limit: int = 200) -> list[str]:
        """The pages the newest done tracks' audio came from (a Spotify track's is the
        YouTube video it was matched to), newest first."""
        query = (
            select(tracks.c.url, tracks.c.override_url, tracks.c.info_json)
            .join(jobs, jobs.c.track_id == tracks.c.id)
            .where(jobs.c.state == JobState.DONE)
            .where(tracks.c.kind != LinkKind.COLLECTION)
            .where(tracks.c.done_at.is_not(None))
            .order_by(tracks.c.done_at.desc())
            .limit(limit)
        )
        with self._store.read() as conn:
            rows = conn.execute(query).all()
        urls = []
        for url, override, info_json in rows:
            page = override or _webpage(info_json) or url
            if page and page.startswith(("http://", "https://")) and page not in urls:
                urls.append(page)
        return urls

    def sources_in_use(self) -> set[str]:
        """Which kinds of links (``models.Source``) the user has added at all."""
        with self._store.read() as conn:
            return {str(r[0]) for r in conn.execute(select(tracks.c.source).distinct())}

    def recent_keys(self, source: str, limit: int = 1) -> list[str]:
        """The newest done tracks' keys from one source (``spotify``…)."""
        query = (
            select(tracks.c.key)
            .join(jobs, jobs.c.track_id == tracks.c.id)
            .where(jobs.c.state == JobState.DONE, tracks.c.source == source)
            .where(tracks.c.kind != LinkKind.COLLECTION)
            .order_by(tracks.c.id.desc())
            .limit(limit)
        )
        with self._store.read() as conn:
            return [str(r[0]) for r in conn.execute(query)]

    def health_rows(self) -> list[dict[str, Any]]:
        with self._store.read() as conn:
            rows = conn.execute(select(source_health).order_by(source_health.c.name)).all()
        return [dict(r._mapping) for r in rows]

    def record_health(
        self,
        name: str,
        *,
        ok: bool,
        error_class: str | None = None,
        error: str | None = None,
        fix: str | None = None,
        now: float | None = None,
    ) -> str | None:
        """Store one canary's outcome; returns ``"failing"`` when the source just turned
        failing, ``"recovered"`` when it just came back, None when nothing changed."""
        now = time.time() if now is None else now
        state = OK if ok else FAILING
        with self._store.write() as conn:
            row = conn.execute(
                select(source_health.c.state, source_health.c.failures).where(
                    source_health.c.name == name
                )
            ).first()
            values = {
                "state": state,
                "checked_at": now,
                "error_class": None if ok else error_class,
                "error": None if ok else error,
                "fix": None if ok else fix,
                "failures": 0 if ok else (row.failures + 1 if row else 1),
            }
            if row is None:
                conn.execute(source_health.insert().values(name=name, since=now, **values))
                return None if ok else "failing"
            if row.state != state:
                values["since"] = now
            conn.execute(
                source_health.update().where(source_health.c.name == name).values(**values)
            )
        if row.state == state:
            return None
        return "recovered" if ok else "failing"


def _webpage(info_json: str | None) -> str | None:
    if not info_json:
        return None
    try:
        info = json.loads(info_json)
    except ValueError:
        return None
    page = info.get("webpage_url") if isinstance(info, dict) else None
    return page if isinstance(page, str) else None
