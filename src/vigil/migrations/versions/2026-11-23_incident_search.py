"""Incident free text through a real index: GIN over tsvector on PostgreSQL, FTS5 on SQLite

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 22:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from vigil.core import search

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Frozen here: what this revision indexes (incidents/models.py's SEARCH must stay equal to it).
INCIDENT = search.FullText("incident", ("title", "description"))


def upgrade() -> None:
    search.install(op, INCIDENT)


def downgrade() -> None:
    search.uninstall(op, INCIDENT)
