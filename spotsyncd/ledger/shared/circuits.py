"""Service circuits in the ledger: one state per outside service for every process.

A bot check or a rate limit seen by any process (the daemon, the coordinator, a worker on
another machine) opens the service's circuit here, and every process reads it before calling
that service (``engine/resilience/circuits.py`` caches the read for a second or so). Opening
and closing are each one event in the log, whichever process saw it, so ``status``, the API
and the dashboard show one truth. While a circuit is open, the queued jobs of the sources that
need the service are held (``retry_at`` = when it closes), so that no process takes or
dispatches them. The offline state is not here: it belongs to one machine.
"""

from __future__ import annotations

import time
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import Connection, delete, insert, or_, select, update

from spotsyncd.ledger.base import Store
from spotsyncd.ledger.schema import circuits, jobs, tracks
from spotsyncd.ledger.tracks.event_log import EventLog
from spotsyncd.ledger.tracks.jobs import QUEUED


@dataclass(frozen=True)
class CircuitRow:
    service: str
    open_until: float
    failures: int
    reason: str
    error_class: str
    since: float
    opened_by: str
    updated_at: float

    def is_open(self, now: float) -> bool:
        return self.open_until > now


class ServiceCircuits:
    def __init__(self, store: Store, events: EventLog) -> None:
        self._store = store
        self._events = events

    def service_circuits(self) -> dict[str, CircuitRow]:
        """Every service that failed since its last success, open or not (any more)."""
        with self._store.read() as conn:
            rows = conn.execute(select(circuits)).all()
        return {row.service: CircuitRow(**row._mapping) for row in rows}

    def open_circuit(
        self,
        service: str,
        *,
        wait_s: float | None,
        base_s: float,
        max_s: float,
        reason: str,
        error_class: str,
        by: str,
    ) -> CircuitRow:
        """One more failure of ``service``: open it for ``wait_s`` (what the service asked for)
        or for a back-off that doubles with each failure since the last success. An open
        circuit is never shortened. Returns the circuit as it now is."""
        now = time.time()
        with self._store.write() as conn:
            row = _row(conn, service)
            failures = (row.failures if row else 0) + 1
            wait = wait_s if wait_s else min(base_s * 2 ** (failures - 1), max_s)
            was_open = row is not None and row.is_open(now)
            until = max(row.open_until if row else 0.0, now + wait)
            values = {
                "open_until": until,
                "failures": failures,
                "reason": reason[:300],
                "error_class": error_class,
                "since": row.since if row and was_open else now,
                "opened_by": row.opened_by if row and was_open else by,
                "updated_at": now,
            }
            if row is None:
                conn.execute(insert(circuits).values(service=service, **values))
            else:
                conn.execute(update(circuits).where(circuits.c.service == service).values(values))
            if not was_open:
                message = f"{service}: open for {until - now:.0f}s ({by}): {reason[:300]}"
                self._events.record(conn, None, "warning", "circuit_open", message)
        return CircuitRow(service=service, **values)  # type: ignore[arg-type]

    def close_circuit(
        self, service: str, *, opened_before: float | None = None, error_class: str | None = None
    ) -> bool:
        """Close ``service``'s circuit: a request succeeded (one that started before it opened,
        ``opened_before``, proves nothing and leaves it), or the user fixed the login
        (``error_class``: only a circuit opened for that). True if it closed."""
        with self._store.write() as conn:
            row = _row(conn, service)
            if row is None:
                return False
            if opened_before is not None and row.since >= opened_before:
                return False
            if error_class is not None and row.error_class != error_class:
                return False
            conn.execute(delete(circuits).where(circuits.c.service == service))
            if row.failures:
                why = "trying the new credentials" if error_class else "a request succeeded"
                self._events.record(conn, None, "info", "circuit_closed", f"{service}: {why}")
        return True

    def hold_for_circuit(self, sources: Collection[str], until: float, why: str) -> int:
        """Queued jobs of tracks from ``sources`` wait until ``until`` (their service's circuit
        is open): nobody takes or dispatches them before, and ``status`` says why. No attempt
        is spent. Returns how many were held."""
        due_before = or_(jobs.c.retry_at.is_(None), jobs.c.retry_at < until)
        of_sources = select(tracks.c.id).where(tracks.c.source.in_(sorted(sources)))
        with self._store.write() as conn:
            result = conn.execute(
                update(jobs)
                .where(jobs.c.state.in_(QUEUED), due_before, jobs.c.track_id.in_(of_sources))
                .values(retry_at=until, error=why, updated_at=time.time())
            )
            return int(result.rowcount or 0)

    def release_held(self, service: str) -> int:
        """Jobs held for ``service``'s circuit are due now (the user fixed the login)."""
        now = time.time()
        with self._store.write() as conn:
            result = conn.execute(
                update(jobs)
                .where(jobs.c.state.in_(QUEUED), jobs.c.retry_at > now)
                .where(jobs.c.error.like(f"{service} circuit open%"))
                .values(retry_at=now, updated_at=now)
            )
            return int(result.rowcount or 0)


def _row(conn: Connection, service: str) -> CircuitRow | None:
    row = conn.execute(select(circuits).where(circuits.c.service == service)).first()
    return CircuitRow(**row._mapping) if row is not None else None
