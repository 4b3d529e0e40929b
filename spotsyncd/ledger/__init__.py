"""The ledger: spotsyncd's single source of truth (SQLite via SQLAlchemy 2.x).

Only this package imports SQLAlchemy. ``Ledger`` is the one object the rest of the code uses.
"""

from .store import ClaimedJob, Ledger, TrackRow

__all__ = ["ClaimedJob", "Ledger", "TrackRow"]
