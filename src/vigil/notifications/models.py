"""The notification table (one row per user told) and its deliveries (one row per channel)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vigil.core import clock
from vigil.core.db import Base, UUIDPk


class Kind(StrEnum):
    ASSIGNED = "assigned"
    TEAM_QUEUE = "team_queue"
    SLA_WARNING = "sla_warning"
    SLA_BREACH = "sla_breach"
    ESCALATED = "escalated"
    COMMENTED = "commented"


class DeliveryChannel(StrEnum):
    """Where a notification goes. Only the inbox exists today; email and chat add a job each."""

    INBOX = "inbox"
    EMAIL = "email"
    CHAT = "chat"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class Notification(UUIDPk, Base):
    __tablename__ = "notification"
    # The inbox, the unread filter and the bell's count are all ranges of this index.
    __table_args__ = (Index("ix_notification_inbox", "user_id", "read_at", "created_at"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str | None] = mapped_column(String(300))
    record_type: Mapped[str | None] = mapped_column(String(40))
    record_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    read_at: Mapped[datetime | None]

    deliveries: Mapped[list[NotificationDelivery]] = relationship(
        back_populates="notification", cascade="all, delete-orphan", passive_deletes=True
    )


class NotificationDelivery(UUIDPk, Base):
    """One channel's attempt to get a notification to its user: the inbox is sent when it is written;
    a later channel (email, chat) writes its row pending and a job per row sends it, retrying."""

    __tablename__ = "notification_delivery"
    __table_args__ = (Index("ix_notification_delivery_pending", "status", "channel", "created_at"),)

    notification_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("notification.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    sent_at: Mapped[datetime | None]

    notification: Mapped[Notification] = relationship(back_populates="deliveries")
