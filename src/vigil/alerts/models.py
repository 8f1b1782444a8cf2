"""Alert intake tables: integrations (a webhook sender and its rules), raw deliveries, alert groups
(what one incident stands for) and the alerts in them, one row per fingerprint."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vigil.core.db import Base, UUIDPk
from vigil.incidents.models import Incident


class Kind(StrEnum):
    ALERTMANAGER = "alertmanager"
    GRAFANA = "grafana"
    GENERIC = "generic"


class Recovery(StrEnum):
    """What happens to the incident when every alert of its group is resolved."""

    RESOLVE = "resolve"
    NOTE = "note"


class DeliveryStatus(StrEnum):
    RECEIVED = "received"
    PROCESSED = "processed"
    FAILED = "failed"


class AlertStatus(StrEnum):
    FIRING = "firing"
    RESOLVED = "resolved"


class Integration(UUIDPk, Base):
    """A monitoring system allowed to post alerts, with its own token (stored as SHA-256) and rules."""

    __tablename__ = "alert_integration"

    name: Mapped[str] = mapped_column(String(60), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    recovery: Mapped[str] = mapped_column(String(10), default=Recovery.RESOLVE)
    rules: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: Kept as given: verifying an HMAC needs the secret itself.
    hmac_secret: Mapped[str | None] = mapped_column(String(200))
    #: The requester of the incidents it opens (the administrator who set it up, unless changed).
    requester_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class AlertDelivery(UUIDPk, Base):
    """One webhook request as received (the raw body), stored before it is answered."""

    __tablename__ = "alert_delivery"
    __table_args__ = (
        Index("ix_alert_delivery_status", "status", "received_at", "id"),
        Index("ix_alert_delivery_integration", "integration_id", "received_at"),
    )

    integration_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("alert_integration.id", ondelete="CASCADE"))
    received_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(12), default=DeliveryStatus.RECEIVED)
    body: Mapped[str] = mapped_column(Text)
    alert_count: Mapped[int] = mapped_column(default=0)
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
    processed_at: Mapped[datetime | None]

    integration: Mapped[Integration] = relationship(lazy="joined")


class AlertGroup(UUIDPk, Base):
    """Alerts one incident stands for. `open_key` holds the group key while the group is open and is
    cleared when it recovers: the unique (integration, open_key) makes concurrent deliveries of one
    group agree on a single row (NULLs never conflict, so closed groups pile up freely)."""

    __tablename__ = "alert_group"
    __table_args__ = (
        UniqueConstraint("integration_id", "open_key", name="uq_alert_group_open_key"),
        Index("ix_alert_group_integration", "integration_id", "created_at"),
    )

    integration_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("alert_integration.id", ondelete="CASCADE"))
    group_key: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(500), default="")
    open_key: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(10), default=AlertStatus.FIRING)
    priority: Mapped[str] = mapped_column(String(2))
    title: Mapped[str] = mapped_column(String(200))
    incident_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("incident.id"), index=True)
    created_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]

    incident: Mapped[Incident | None] = relationship()
    integration: Mapped[Integration] = relationship()


class Alert(UUIDPk, Base):
    """One alert (a fingerprint) of a group: repeats bump `count` and `last_seen_at`."""

    __tablename__ = "alert"
    __table_args__ = (
        UniqueConstraint("group_id", "fingerprint", name="uq_alert_group_fingerprint"),
        Index("ix_alert_recent", "last_seen_at", "id"),
        Index("ix_alert_integration_recent", "integration_id", "last_seen_at", "id"),
        Index("ix_alert_fingerprint", "integration_id", "fingerprint"),
    )

    group_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("alert_group.id", ondelete="CASCADE"))
    integration_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("alert_integration.id", ondelete="CASCADE"))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(10))
    labels: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    annotations: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    starts_at: Mapped[datetime | None]
    ends_at: Mapped[datetime | None]
    generator_url: Mapped[str] = mapped_column(Text, default="")
    priority: Mapped[str] = mapped_column(String(2))
    count: Mapped[int] = mapped_column(default=1)
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]

    group: Mapped[AlertGroup] = relationship()
    integration: Mapped[Integration] = relationship()
