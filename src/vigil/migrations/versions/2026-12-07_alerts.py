"""alerts: integrations, raw deliveries, alert groups (one open per group key) and alerts

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 16:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alert_integration",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(60), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("recovery", sa.String(10), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("hmac_secret", sa.String(200), nullable=True),
        sa.Column("requester_id", sa.Uuid(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["requester_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_alert_integration_requester_id", "alert_integration", ["requester_id"])
    op.create_table(
        "alert_delivery",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("integration_id", sa.Uuid(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("alert_count", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["integration_id"], ["alert_integration.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_alert_delivery_status", "alert_delivery", ["status", "received_at", "id"])
    op.create_index("ix_alert_delivery_integration", "alert_delivery", ["integration_id", "received_at"])
    op.create_table(
        "alert_group",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("integration_id", sa.Uuid(), nullable=False),
        sa.Column("group_key", sa.String(64), nullable=False),
        sa.Column("label", sa.String(500), nullable=False),
        sa.Column("open_key", sa.String(64), nullable=True),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("priority", sa.String(2), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("incident_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["integration_id"], ["alert_integration.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("integration_id", "open_key", name="uq_alert_group_open_key"),
    )
    op.create_index("ix_alert_group_integration", "alert_group", ["integration_id", "created_at"])
    op.create_index("ix_alert_group_incident_id", "alert_group", ["incident_id"])
    op.create_table(
        "alert",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("group_id", sa.Uuid(), nullable=False),
        sa.Column("integration_id", sa.Uuid(), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("annotations", sa.JSON(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("generator_url", sa.Text(), nullable=False),
        sa.Column("priority", sa.String(2), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["group_id"], ["alert_group.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["integration_id"], ["alert_integration.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("group_id", "fingerprint", name="uq_alert_group_fingerprint"),
    )
    op.create_index("ix_alert_recent", "alert", ["last_seen_at", "id"])
    op.create_index("ix_alert_integration_recent", "alert", ["integration_id", "last_seen_at", "id"])
    op.create_index("ix_alert_fingerprint", "alert", ["integration_id", "fingerprint"])


def downgrade() -> None:
    op.drop_table("alert")
    op.drop_table("alert_group")
    op.drop_table("alert_delivery")
    op.drop_table("alert_integration")
