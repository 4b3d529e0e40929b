"""Shared circuits and budgets: every process reads and writes one state per outside service.

Revision ID: 0004_shared_circuits
Revises: 0006_source_health
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_shared_circuits"
down_revision = "0006_source_health"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "circuits",
        sa.Column("service", sa.String(), primary_key=True),
        sa.Column("open_until", sa.Float(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("error_class", sa.String(), nullable=False),
        sa.Column("since", sa.Float(), nullable=False),
        sa.Column("opened_by", sa.String(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
    )
    op.create_table(
        "budget_turns",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("holder", sa.String(), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
    )
    op.create_index("ix_budget_turns_source", "budget_turns", ["source", "expires_at"])
    op.create_table(
        "budget_clock",
        sa.Column("source", sa.String(), primary_key=True),
        sa.Column("last_start", sa.Float(), nullable=False),
    )
    with op.batch_alter_table("workers") as batch:
        batch.add_column(sa.Column("state", sa.String()))
        batch.add_column(sa.Column("state_reason", sa.Text()))


def downgrade() -> None:
    with op.batch_alter_table("workers") as batch:
        batch.drop_column("state_reason")
        batch.drop_column("state")
    op.drop_table("budget_clock")
    op.drop_index("ix_budget_turns_source", table_name="budget_turns")
    op.drop_table("budget_turns")
    op.drop_table("circuits")
