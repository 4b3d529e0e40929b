"""The ledger: spotsyncd's single source of truth (SQLAlchemy 2.x). ``Ledger`` is the object the
daemon opens and passes down; it composes one repository per role (``JobQueue``, ``Intake``,
``Follows``, ``FollowFiles``, ``Reports``, ``Filed``, ``Browse``, ``EventLog``, ``Workers``,
``Collections``, ``ServiceCircuits``, ``Budgets``, ``Identities``) over one ``Store``.

The repositories live in three sub-packages by role: ``tracks`` (tracks, their jobs and what is
filed), ``follows`` (follows and imported collections) and ``shared`` (the state every process
shares in scale-out). This package itself keeps the facade (``store``) and the plumbing: the
connection (``base``, ``db``, ``dialects``, ``errors``), the tables (``schema``, ``rows``), the
migrations (``migrate``, ``migrations/``), ``copy`` and ``consistency``. Callers import from
here: ``from spotsyncd.ledger import Ledger``.

May import core only; the only home of sqlalchemy, alembic and psycopg.
"""

from spotsyncd.ledger.base import Store
from spotsyncd.ledger.db import describe_error, is_unavailable
from spotsyncd.ledger.follows.collections import CollectionRow, Collections
from spotsyncd.ledger.follows.files import FollowFiles
from spotsyncd.ledger.follows.registry import Follows
from spotsyncd.ledger.shared.budgets import Budgets, TurnAnswer
from spotsyncd.ledger.shared.circuits import CircuitRow, ServiceCircuits
from spotsyncd.ledger.shared.workers import Workers
from spotsyncd.ledger.store import ClaimedJob, Ledger, TrackRow
from spotsyncd.ledger.tracks.browse import Browse
from spotsyncd.ledger.tracks.event_log import EventLog
from spotsyncd.ledger.tracks.filed import Filed
from spotsyncd.ledger.tracks.identities import Identities
from spotsyncd.ledger.tracks.intake import Intake
from spotsyncd.ledger.tracks.jobs import JobQueue
from spotsyncd.ledger.tracks.reports import Reports

__all__ = [
    "Browse",
    "Budgets",
    "CircuitRow",
    "ClaimedJob",
    "CollectionRow",
    "Collections",
    "EventLog",
    "Filed",
    "FollowFiles",
    "Follows",
    "Intake",
    "JobQueue",
    "Ledger",
    "Identities",
    "Reports",
    "ServiceCircuits",
    "Store",
    "TrackRow",
    "TurnAnswer",
    "Workers",
    "describe_error",
    "is_unavailable",
]
