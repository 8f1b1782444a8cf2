"""Watchers (CC) and attachments on records of any domain

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 05:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "watcher",
        sa.Column("record_type", sa.String(length=40), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_by_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_watcher_user_id_user_account"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("record_type", "record_id", "user_id", name=op.f("pk_watcher")),
    )
    with op.batch_alter_table("watcher", schema=None) as batch_op:
        batch_op.create_index("ix_watcher_user", ["user_id", "record_type", "record_id"], unique=False)
    op.create_table(
        "attachment",
        sa.Column("record_type", sa.String(length=40), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("comment_id", sa.Uuid(), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("image", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachment")),
    )
    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.create_index(
            "ix_attachment_record", ["record_type", "record_id", "created_at"], unique=False
        )
        batch_op.create_index("ix_attachment_sha256", ["sha256"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.drop_index("ix_attachment_sha256")
        batch_op.drop_index("ix_attachment_record")
    op.drop_table("attachment")
    with op.batch_alter_table("watcher", schema=None) as batch_op:
        batch_op.drop_index("ix_watcher_user")
    op.drop_table("watcher")
