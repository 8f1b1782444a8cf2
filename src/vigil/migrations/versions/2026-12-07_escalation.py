"""Incident escalation: the level an incident is at, and the chain of teams (L1-L4)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 01:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("incident") as batch:
        batch.add_column(sa.Column("escalation_level", sa.Integer(), nullable=False, server_default="1"))
    op.create_table(
        "incident_escalation_level",
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("level"),
    )


def downgrade() -> None:
    op.drop_table("incident_escalation_level")
    with op.batch_alter_table("incident") as batch:
        batch.drop_column("escalation_level")
