"""Collections: the named lists of imported playlist files and exports, and their tracks.

Revision ID: 0008_collections
Revises: 0003_claim_index
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_collections"
down_revision = "0003_claim_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "collections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("origin", sa.Text(), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "collection_tracks",
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.Column("track_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["collection_id"], ["collections.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["track_id"], ["tracks.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("collection_id", "track_id"),
    )
    op.create_index("ix_collection_tracks_track", "collection_tracks", ["track_id"])


def downgrade() -> None:
    op.drop_index("ix_collection_tracks_track", table_name="collection_tracks")
    op.drop_table("collection_tracks")
    op.drop_table("collections")
