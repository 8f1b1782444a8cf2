"""Versions on users, teams, CIs and categories: their ETags and If-Match, like incidents

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24 01:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("user_account", "team", "configuration_item", "incident_category")


def upgrade() -> None:
    # ADD COLUMN with a constant default: no table rebuild on SQLite, existing rows start at version 1.
    for table in TABLES:
        op.add_column(table, sa.Column("version", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("version")
