"""Pydantic shapes of the inbox: the list's filter, a notification, a page, the unread count."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from vigil.core.schemas import Collection, Ref


class NotificationFilter(BaseModel):
    """One filter for the API query string, the page and the CLI."""

    model_config = ConfigDict(extra="forbid")

    unread: bool = Field(default=False, description="Only notifications not read yet.")
    cursor: Ref | None = Field(default=None, description="`next_cursor` of the previous page.")
    limit: int = Field(default=50, ge=1, le=200, description="Items per page.")


class NotificationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: str = Field(description="assigned, team_queue, sla_warning, sla_breach, escalated or commented.")
    title: str
    body: str
    link: str | None = Field(description="The record's page, e.g. /incidents/INC-000012.")
    record_type: str | None
    record_id: uuid.UUID | None
    created_at: datetime
    read_at: datetime | None


NotificationPage = Collection[NotificationRead]


class UnreadCount(BaseModel):
    unread: int = Field(description="Unread notifications, counted up to 1000.")
    capped: bool = Field(description="True when there are more than `unread`.")


class ReadAll(BaseModel):
    marked: int = Field(description="How many notifications were marked read.")
