"""The ledger: spotsyncd's single source of truth (SQLAlchemy 2.x). ``Ledger`` is the object the
daemon opens and passes down; it composes one repository per role (``JobQueue``, ``Intake``,
``Follows``, ``FollowFiles``, ``Reports``, ``Filed``, ``Browse``, ``EventLog``, ``Workers``,
``Collections``, ``ServiceCircuits``, ``Budgets``, ``Identities``) over one ``Store``.

May import core only; the only home of sqlalchemy, alembic and psycopg.
"""

from spotsyncd.ledger.base import Store
from spotsyncd.ledger.browse import Browse
from spotsyncd.ledger.budgets import Budgets, TurnAnswer
from spotsyncd.ledger.circuits import CircuitRow, ServiceCircuits
from spotsyncd.ledger.collections import CollectionRow, Collections
from spotsyncd.ledger.db import describe_error, is_unavailable
from spotsyncd.ledger.event_log import EventLog
from spotsyncd.ledger.filed import Filed
from spotsyncd.ledger.follow_files import FollowFiles
from spotsyncd.ledger.follows import Follows
from spotsyncd.ledger.identities import Identities
from spotsyncd.ledger.intake import Intake
from spotsyncd.ledger.jobs import JobQueue
from spotsyncd.ledger.reports import Reports
from spotsyncd.ledger.store import ClaimedJob, Ledger, TrackRow
from spotsyncd.ledger.workers import Workers

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
