"""updated_at on users, teams, CIs and categories: `updated_after` and `sort=updated_at` for sync clients

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 06:05:00
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from vigil.core.db import UTCDateTime

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: table -> whether it has created_at to start updated_at from (categories do not: they start now)
TABLES = {"user_account": True, "team": True, "configuration_item": True, "incident_category": False}


def upgrade() -> None:
    for table, has_created in TABLES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
        if has_created:
            op.execute(f"UPDATE {table} SET updated_at = created_at")
        else:
            rows = sa.table(table, sa.column("updated_at", UTCDateTime()))
            op.execute(rows.update().values(updated_at=datetime.now(UTC)))
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("updated_at", existing_type=sa.DateTime(timezone=True), nullable=False)
            batch_op.create_index(f"ix_{table}_updated_at", ["updated_at", *(["id"] if has_created else [])])


def downgrade() -> None:
    for table in reversed(list(TABLES)):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(f"ix_{table}_updated_at")
            batch_op.drop_column("updated_at")
