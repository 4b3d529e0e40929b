"""Identity: each track's verdict and MusicBrainz/AcoustID IDs, and the lookups' cache.

Revision ID: 0005_identity
Revises: 0008_collections
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_identity"
down_revision = "0008_collections"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tracks") as batch:
        batch.add_column(sa.Column("verdict", sa.String(), nullable=True))
        batch.add_column(sa.Column("identity_json", sa.Text(), nullable=True))
    op.create_table(
        "lookup_cache",
        sa.Column("service", sa.String(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("fetched_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("service", "key"),
    )


def downgrade() -> None:
    op.drop_table("lookup_cache")
    with op.batch_alter_table("tracks") as batch:
        batch.drop_column("identity_json")
        batch.drop_column("verdict")
