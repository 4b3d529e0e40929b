"""The ledger: spotsyncd's single source of truth (SQLAlchemy 2.x); ``Ledger`` is its one face.

May import core only; the only home of sqlalchemy, alembic and psycopg.
"""

from spotsyncd.ledger.db import describe_error, is_unavailable
from spotsyncd.ledger.store import ClaimedJob, Ledger, TrackRow

__all__ = ["ClaimedJob", "Ledger", "TrackRow", "describe_error", "is_unavailable"]
