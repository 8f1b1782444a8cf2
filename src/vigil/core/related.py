"""Pydantic shapes of what hangs off any ticket: watchers, typed links and attachments (one per kind,
shared by every domain's API, pages, CLI and library)."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from vigil.core.schemas import Collection, Ref


class WatcherAdd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user: Ref | None = Field(default=None, description="User UUID or email; yourself when omitted.")


class WatcherRead(BaseModel):
    user_id: uuid.UUID
    email: str
    display_name: str
    added_at: datetime


class WatcherPage(Collection[WatcherRead]):
    """Everyone watching the record, in the order they were added (one page: the list is short)."""


class LinkCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Ref = Field(description="The link kind, e.g. `related_to`, `caused_by`, `duplicate_of`.")
    target: Ref = Field(description="The other record's number or UUID.")
    target_type: Ref = Field(default="incident", description="The other record's type.")


class LinkEnd(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    type: str
    id: uuid.UUID
    number: str
    title: str


class LinkRead(BaseModel):
    """A link as seen from this record: `kind` is read from this side (`causes` at the other end of a
    `caused_by`), `other` is the record at the other end."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: str
    other: LinkEnd
    created_at: datetime


class LinkPage(Collection[LinkRead]):
    """Every link whose other end you may see, oldest first (one page)."""


class AttachmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    record_id: uuid.UUID
    comment_id: uuid.UUID | None
    filename: str
    content_type: str
    size: int
    sha256: str
    image: bool
    created_at: datetime
    created_by_id: uuid.UUID | None


class AttachmentPage(Collection[AttachmentRead]):
    """The record's attachments you may see, oldest first (one page)."""
