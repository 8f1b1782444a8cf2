"""SLA calendars, policies and clocks, with the two preset calendars and policies

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 19:58:02
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from vigil.sla import presets  # the seed as of this revision; a later change to it needs its own migration

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sla_calendar",
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("week", sa.JSON(), nullable=False),
        sa.Column("country", sa.String(length=8), nullable=True),
        sa.Column("subdivision", sa.String(length=16), nullable=True),
        sa.Column("extra_holidays", sa.JSON(), nullable=False),
        sa.Column("half_days", sa.JSON(), nullable=False),
        sa.Column("builtin", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_calendar")),
        sa.UniqueConstraint("name", name=op.f("uq_sla_calendar_name")),
    )
    op.create_table(
        "sla_clock",
        sa.Column("record_type", sa.String(length=30), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("metric", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("policy_id", sa.Uuid(), nullable=True),
        sa.Column("policy_name", sa.String(length=120), nullable=False),
        sa.Column("targets", sa.JSON(), nullable=False),
        sa.Column("calendars", sa.JSON(), nullable=False),
        sa.Column("priority", sa.String(length=8), nullable=False),
        sa.Column("target_seconds", sa.Integer(), nullable=False),
        sa.Column("calendar_name", sa.String(length=120), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("running_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_seconds", sa.Integer(), nullable=False),
        sa.Column("paused_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paused_seconds", sa.Integer(), nullable=False),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("breached_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_alert_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_alert_percent", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_clock")),
        sa.UniqueConstraint("record_type", "record_id", "metric", name=op.f("uq_sla_clock_record_type")),
    )
    with op.batch_alter_table("sla_clock", schema=None) as batch_op:
        batch_op.create_index("ix_sla_clock_due_at", ["record_type", "due_at"], unique=False)
        batch_op.create_index("ix_sla_clock_next_alert_at", ["next_alert_at"], unique=False)

    op.create_table(
        "sla_policy",
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("conditions", sa.JSON(), nullable=False),
        sa.Column("targets", sa.JSON(), nullable=False),
        sa.Column("builtin", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_policy")),
        sa.UniqueConstraint("name", name=op.f("uq_sla_policy_name")),
    )
    op.create_table(
        "sla_clock_event",
        sa.Column("clock_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["clock_id"],
            ["sla_clock.id"],
            name=op.f("fk_sla_clock_event_clock_id_sla_clock"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_clock_event")),
    )
    with op.batch_alter_table("sla_clock_event", schema=None) as batch_op:
        batch_op.create_index("ix_sla_clock_event_clock", ["clock_id", "at"], unique=False)

    now = datetime.now(UTC)
    calendars = sa.table(
        "sla_calendar", sa.column("id", sa.Uuid), sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)), *(sa.column(c) for c in ("name", "timezone", "version")),
        sa.column("week", sa.JSON), sa.column("extra_holidays", sa.JSON), sa.column("half_days", sa.JSON),
        sa.column("builtin", sa.Boolean),
    )  # fmt: skip
    op.bulk_insert(
        calendars,
        [{**c, "extra_holidays": [], "half_days": {}, "builtin": True, "created_at": now, "updated_at": now,
          "version": 1} for c in presets.CALENDARS],
    )  # fmt: skip
    policies = sa.table(
        "sla_policy", sa.column("id", sa.Uuid), sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)), *(sa.column(c) for c in ("name", "position", "version")),
        sa.column("active", sa.Boolean), sa.column("builtin", sa.Boolean), sa.column("conditions", sa.JSON),
        sa.column("targets", sa.JSON),
    )  # fmt: skip
    op.bulk_insert(
        policies,
        [{**p, "conditions": {}, "builtin": True, "created_at": now, "updated_at": now, "version": 1}
         for p in presets.POLICIES],
    )  # fmt: skip


def downgrade() -> None:
    with op.batch_alter_table("sla_clock_event", schema=None) as batch_op:
        batch_op.drop_index("ix_sla_clock_event_clock")

    op.drop_table("sla_clock_event")
    op.drop_table("sla_policy")
    with op.batch_alter_table("sla_clock", schema=None) as batch_op:
        batch_op.drop_index("ix_sla_clock_next_alert_at")
        batch_op.drop_index("ix_sla_clock_due_at")

    op.drop_table("sla_clock")
    op.drop_table("sla_calendar")
