"""Baseline: the ledger's schema as it was when migrations began (schema_version 1).

A ledger made before migrations already has exactly these tables; it is stamped with this
revision instead of running it (see ledger/migrate.py).

Revision ID: 0001_baseline
Revises:
Create Date: 2026-11-30
"""

from __future__ import annotations

import time

import sqlalchemy as sa
from alembic import op

revision = "0001_baseline"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    schema_meta = op.create_table(
        "schema_meta",
        sa.Column("name", sa.String(), primary_key=True),
        sa.Column("value", sa.String(), nullable=False),
    )
    op.bulk_insert(
        schema_meta,
        [
            {"name": "schema_version", "value": "1"},
            {"name": "created_at", "value": str(time.time())},
        ],
    )
    op.create_table(
        "tracks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(), nullable=False, unique=True),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("override_url", sa.Text()),
        sa.Column("title", sa.Text()),
        sa.Column("artist", sa.Text()),
        sa.Column("album", sa.Text()),
        sa.Column("meta_json", sa.Text()),
        sa.Column("info_json", sa.Text()),
        sa.Column("candidates_json", sa.Text()),
        sa.Column("options_json", sa.Text()),
        sa.Column("path", sa.Text(), unique=True),
        sa.Column("replaces_path", sa.Text()),
        sa.Column("size_bytes", sa.Integer()),
        sa.Column("duration_s", sa.Float()),
        sa.Column("audio_settings", sa.Text()),
        sa.Column("loudness_lufs", sa.Float()),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("done_at", sa.Float()),
        sa.Column("download_s", sa.Float()),
        sa.Column("process_s", sa.Float()),
    )
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "track_id",
            sa.Integer(),
            sa.ForeignKey("tracks.id", ondelete="CASCADE"),
            nullable=False,
            unique=True,
        ),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("retry_at", sa.Float()),
        sa.Column("error_class", sa.String()),
        sa.Column("error", sa.Text()),
        sa.Column("worker", sa.String()),
        sa.Column("claimed_at", sa.Float()),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.Column("progress_json", sa.Text()),
    )
    op.create_index("ix_jobs_state_retry", "jobs", ["state", "retry_at"])
    op.create_table(
        "inbox_files",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("stored_path", sa.Text()),
        sa.Column("report_path", sa.Text()),
        sa.Column("received_at", sa.Float(), nullable=False),
        sa.Column("outcome", sa.String(), nullable=False),
        sa.Column("reason", sa.Text()),
        sa.Column("lines_accepted", sa.Integer(), nullable=False),
        sa.Column("lines_refused", sa.Integer(), nullable=False),
        sa.Column("report_final", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "inbox_lines",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "inbox_file_id",
            sa.Integer(),
            sa.ForeignKey("inbox_files.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("track_id", sa.Integer(), sa.ForeignKey("tracks.id", ondelete="SET NULL")),
        sa.Column("error", sa.Text()),
    )
    op.create_index("ix_inbox_lines_file", "inbox_lines", ["inbox_file_id"])
    op.create_table(
        "collection_items",
        sa.Column(
            "parent_id",
            sa.Integer(),
            sa.ForeignKey("tracks.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "child_id",
            sa.Integer(),
            sa.ForeignKey("tracks.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("position", sa.Integer(), nullable=False),
    )
    op.create_table(
        "follows",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(), nullable=False, unique=True),
        sa.Column("key", sa.String(), nullable=False, unique=True),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("interval_s", sa.Integer(), nullable=False),
        sa.Column("options_json", sa.Text()),
        sa.Column("origin", sa.String(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("last_poll_at", sa.Float()),
        sa.Column("last_change_at", sa.Float()),
        sa.Column("fingerprint", sa.Text()),
        sa.Column("next_poll_at", sa.Float()),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("error_class", sa.String()),
        sa.Column("error", sa.Text()),
        sa.Column("backoff_until", sa.Float()),
        sa.Column("title", sa.Text()),
        sa.Column("auto_name", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "follow_items",
        sa.Column(
            "follow_id",
            sa.Integer(),
            sa.ForeignKey("follows.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "track_id",
            sa.Integer(),
            sa.ForeignKey("tracks.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("first_seen", sa.Float(), nullable=False),
        sa.Column("absent_since", sa.Float()),
        sa.Column("added_by_follow", sa.Boolean(), nullable=False),
        sa.UniqueConstraint("follow_id", "track_id"),
    )
    op.create_index("ix_follow_items_track", "follow_items", ["track_id"])
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ts", sa.Float(), nullable=False),
        sa.Column("track_id", sa.Integer(), sa.ForeignKey("tracks.id", ondelete="CASCADE")),
        sa.Column("follow_id", sa.Integer(), sa.ForeignKey("follows.id", ondelete="CASCADE")),
        sa.Column("level", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
    )
    op.create_index("ix_events_track", "events", ["track_id"])
    op.create_index("ix_events_ts", "events", ["ts"])


def downgrade() -> None:
    for index, table in (
        ("ix_events_ts", "events"),
        ("ix_events_track", "events"),
        ("ix_follow_items_track", "follow_items"),
        ("ix_inbox_lines_file", "inbox_lines"),
        ("ix_jobs_state_retry", "jobs"),
    ):
        op.drop_index(index, table_name=table)
    for table in (
        "events",
        "follow_items",
        "follows",
        "collection_items",
        "inbox_lines",
        "inbox_files",
        "jobs",
        "tracks",
        "schema_meta",
    ):
        op.drop_table(table)
