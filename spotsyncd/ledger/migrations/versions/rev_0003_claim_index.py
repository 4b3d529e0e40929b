"""The claim's index: queued jobs in the order workers take them.

Revision ID: 0003_claim_index
Revises: 0002_workers
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_claim_index"
down_revision = "0002_workers"
branch_labels = None
depends_on = None

QUEUED_SQL = "state IN ('pending', 'waiting')"


def upgrade() -> None:
    op.create_index(
        "ix_jobs_due",
        "jobs",
        [sa.text("(retry_at IS NOT NULL)"), "id"],
        sqlite_where=sa.text(QUEUED_SQL),
        postgresql_where=sa.text(QUEUED_SQL),
    )


def downgrade() -> None:
    op.drop_index("ix_jobs_due", table_name="jobs")
