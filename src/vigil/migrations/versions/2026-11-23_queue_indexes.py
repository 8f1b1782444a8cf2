"""Queue indexes ordered by creation: one status (and priority) reads its newest rows without a sort

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 23:05:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain CREATE INDEX (not batch): the incident table is not rebuilt, so SQLite's search triggers stay.
    op.drop_index("ix_incident_status_priority", table_name="incident")
    op.create_index("ix_incident_status_priority", "incident", ["status", "priority", "created_at", "id"])
    op.create_index("ix_incident_status_created", "incident", ["status", "created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_incident_status_created", table_name="incident")
    op.drop_index("ix_incident_status_priority", table_name="incident")
    op.create_index("ix_incident_status_priority", "incident", ["status", "priority"])
