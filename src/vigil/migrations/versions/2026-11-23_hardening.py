"""Hardening: audit object ids fit every value, keyed audit records, device cookies on login attempts

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 21:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_record", schema=None) as batch_op:
        batch_op.alter_column(
            "object_id", existing_type=sa.String(length=64), type_=sa.String(length=255), nullable=False
        )
        batch_op.add_column(sa.Column("key_id", sa.String(length=16), nullable=True))
    with op.batch_alter_table("login_attempt", schema=None) as batch_op:
        batch_op.add_column(sa.Column("device", sa.String(length=64), nullable=True))
        batch_op.create_index("ix_login_attempt_device_at", ["device", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("login_attempt", schema=None) as batch_op:
        batch_op.drop_index("ix_login_attempt_device_at")
        batch_op.drop_column("device")
    with op.batch_alter_table("audit_record", schema=None) as batch_op:
        batch_op.drop_column("key_id")
        batch_op.alter_column(
            "object_id", existing_type=sa.String(length=255), type_=sa.String(length=64), nullable=False
        )
