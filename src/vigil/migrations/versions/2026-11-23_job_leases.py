"""Job leases: a claimed job is held until lease_until, so a dead worker's job is taken over

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 23:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_job_lease", ["status", "lease_until"], unique=False)
    # Jobs left running before leases existed belong to workers that are gone (workers stop for an
    # upgrade): give them a lease that has already lapsed, so the next claim takes them over.
    job = sa.table(
        "job",
        sa.column("status", sa.String),
        sa.column("locked_at", sa.DateTime(timezone=True)),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("lease_until", sa.DateTime(timezone=True)),
    )
    op.execute(
        job.update()
        .where(job.c.status == "running", job.c.lease_until.is_(None))
        .values(lease_until=sa.func.coalesce(job.c.locked_at, job.c.created_at))
    )


def downgrade() -> None:
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.drop_index("ix_job_lease")
        batch_op.drop_column("lease_until")
