"""Per-source budgets in the ledger: turns (requests or transfers under way) across processes.

A taker locks the source's ``budget_clock`` row (PostgreSQL: ``SELECT … FOR UPDATE``; SQLite
lets one writer in at a time anyway), drops expired turns, and takes a turn only while fewer
than ``max_concurrent`` are held and ``min_interval`` has passed since the last turn started or
ended (an end counts: see ``end_turn``). Times
come from the database's clock on PostgreSQL, so machines whose clocks differ still keep one
interval; SQLite is one machine's file and uses its clock. These writes are ``quiet``: no
listener (the event hub, the reporter) wakes for them.
"""

from __future__ import annotations

import time
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import Connection, delete, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from spotsyncd.ledger.base import Store
from spotsyncd.ledger.schema import budget_clock, budget_turns

POLL_S = 0.2  # how soon to ask again when every turn is taken (a holder may end any moment)


@dataclass(frozen=True)
class TurnAnswer:
    """``turn_id`` when a turn was granted, else ``wait_s`` until it is worth asking again."""

    turn_id: int | None
    wait_s: float


class Budgets:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._postgres = store.path is None

    def take_turn(
        self,
        source: str,
        holder: str,
        *,
        max_concurrent: int,
        min_interval_s: float,
        lease_s: float,
    ) -> TurnAnswer:
        with self._store.write(serial=False, quiet=True) as conn:
            now = self._now(conn)
            last = self._lock_clock(conn, source)
            conn.execute(
                delete(budget_turns).where(
                    budget_turns.c.source == source, budget_turns.c.expires_at < now
                )
            )
            if max_concurrent:
                held = conn.execute(
                    select(func.count(), func.min(budget_turns.c.expires_at)).where(
                        budget_turns.c.source == source
                    )
                ).one()
                if int(held[0]) >= max_concurrent:
                    return TurnAnswer(None, min(POLL_S, max(0.01, float(held[1]) - now)))
            if min_interval_s and last + min_interval_s > now:
                return TurnAnswer(None, last + min_interval_s - now)
            turn_id = conn.execute(
                insert(budget_turns)
                .values(source=source, holder=holder, started_at=now, expires_at=now + lease_s)
                .returning(budget_turns.c.id)
            ).scalar_one()
            conn.execute(
                update(budget_clock).where(budget_clock.c.source == source).values(last_start=now)
            )
        return TurnAnswer(int(turn_id), 0.0)

    def end_turn(self, turn_id: int) -> None:
        """The turn is over. Its end counts as a start for ``min_interval``: the next request
        goes at least that long after this one was answered, so however slow a connection,
        two requests never reach the service closer than the interval (MusicBrainz counts
        arrivals)."""
        with self._store.write(serial=False, quiet=True) as conn:
            now = self._now(conn)
            source = conn.execute(
                delete(budget_turns)
                .where(budget_turns.c.id == turn_id)
                .returning(budget_turns.c.source)
            ).scalar()
            if source is not None:
                conn.execute(
                    update(budget_clock)
                    .where(budget_clock.c.source == source, budget_clock.c.last_start < now)
                    .values(last_start=now)
                )

    def renew_turns(self, turn_ids: Collection[int], lease_s: float) -> None:
        """Holders still at work push their turns' expiry on (a dead holder's lapse)."""
        if not turn_ids:
            return
        with self._store.write(serial=False, quiet=True) as conn:
            now = self._now(conn)
            conn.execute(
                update(budget_turns)
                .where(budget_turns.c.id.in_(sorted(turn_ids)))
                .values(expires_at=now + lease_s)
            )

    def drop_turns(self, holder_prefix: str) -> int:
        """Free the turns of holders named ``holder_prefix…`` at once, rather than when their
        lease lapses: a daemon starting on this machine frees those its killed predecessor
        held (no other process of that name can be alive while it holds the instance lock)."""
        pattern = holder_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        with self._store.write(serial=False, quiet=True) as conn:
            result = conn.execute(
                delete(budget_turns).where(budget_turns.c.holder.like(pattern + "%", escape="\\"))
            )
            return int(result.rowcount or 0)

    def turns_held(self) -> dict[str, int]:
        """Turns under way now, by source (``status``)."""
        with self._store.read() as conn:
            now = self._now(conn)
            rows = conn.execute(
                select(budget_turns.c.source, func.count())
                .where(budget_turns.c.expires_at >= now)
                .group_by(budget_turns.c.source)
            ).all()
        return {str(source): int(count) for source, count in rows}

    def _now(self, conn: Connection) -> float:
        if self._postgres:
            return float(
                conn.execute(text("SELECT EXTRACT(EPOCH FROM clock_timestamp())")).scalar_one()
            )
        return time.time()

    def _lock_clock(self, conn: Connection, source: str) -> float:
        """The source's last start, its row locked until this transaction ends."""
        if self._postgres:
            conn.execute(
                pg_insert(budget_clock)
                .values(source=source, last_start=0.0)
                .on_conflict_do_nothing(index_elements=["source"])
            )
            last = conn.execute(
                select(budget_clock.c.last_start)
                .where(budget_clock.c.source == source)
                .with_for_update()
            ).scalar_one()
            return float(last)
        last = conn.execute(
            select(budget_clock.c.last_start).where(budget_clock.c.source == source)
        ).scalar()
        if last is None:
            conn.execute(insert(budget_clock).values(source=source, last_start=0.0))
            return 0.0
        return float(last)
