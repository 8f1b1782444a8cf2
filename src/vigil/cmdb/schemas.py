"""Pydantic shapes for configuration items."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from vigil.core.schemas import Collection, Ref, SyncQuery


class CIRef(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    ci_type: str


class CIRead(CIRef):
    status: str
    updated_at: datetime
    version: int = Field(description="Bumped by every change; the ETag, for If-Match.")


class CICreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    ci_type: str = Field(default="service", min_length=1, max_length=60)
    status: str = Field(default="operational", min_length=1, max_length=30)


class CIQuery(SyncQuery):
    q: Ref | None = Field(default=None, description="Only CIs whose name contains this text.")


class CIPage(Collection[CIRead]):
    """A page of configuration items."""
