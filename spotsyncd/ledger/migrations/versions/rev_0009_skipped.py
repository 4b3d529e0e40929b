"""Tracks a follow set aside (its window: ``since``, ``keep_last``, ``--new-only``) are
``skipped``, not ``failed``: a podcast's back catalogue no longer reads as hundreds of failures.

Revision ID: 0009_skipped
Revises: 0004_shared_circuits
Create Date: 2026-12-05
"""

from __future__ import annotations

from alembic import op

revision = "0009_skipped"
down_revision = "0004_shared_circuits"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "UPDATE jobs SET state = 'skipped' WHERE state = 'failed' AND error_class = 'set_aside'"
    )


def downgrade() -> None:
    op.execute("UPDATE jobs SET state = 'failed' WHERE state = 'skipped'")
