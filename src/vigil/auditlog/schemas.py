"""Pydantic shapes of the audit trail: the filter, a record, a page, and a chain verification result."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from vigil.core.actor import Channel
from vigil.core.schemas import Ref, UtcTime


class AuditFilter(BaseModel):
    """One filter shape for the API query string, the admin page's form, the CSV export and the CLI."""

    model_config = ConfigDict(extra="forbid")

    actor: Ref | None = Field(default=None, description="User UUID, or part of the actor's name.")
    action: Ref | None = Field(
        default=None,
        description="Exact action (`incident.resolve`), or a prefix ending in `.` or `*` (`incident.`).",
    )
    object_type: Ref | None = Field(default=None, description="`incident`, `user`, `team`, ...")
    object_id: Ref | None = Field(default=None, description="The object's id as recorded (a UUID).")
    channel: Channel | None = None
    request_id: Ref | None = Field(default=None, description="The X-Request-ID of the request.")
    occurred_after: UtcTime | None = Field(default=None, description="Inclusive; no offset means UTC.")
    occurred_before: UtcTime | None = Field(default=None, description="Exclusive; no offset means UTC.")
    cursor: Ref | None = Field(default=None, description="`next_cursor` of the previous page.")
    limit: int = Field(default=100, ge=1, le=500)


class AuditRecordRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    seq: int | None = Field(description="Position in the hash chain, contiguous from 1; null until sealed.")
    occurred_at: datetime
    actor_id: uuid.UUID | None
    actor_name: str
    action: str
    object_type: str
    object_id: str
    changes: dict[str, Any] = Field(description="`{field: [old, new]}`.")
    channel: str
    request_id: str | None
    hash: str | None = Field(
        description="Null until sealed. HMAC-SHA256, with the audit key, over the previous record's hash and this record's fields."
    )
    key_id: str | None = Field(default=None, description="Which audit key MACed the record.")


class AuditPage(BaseModel):
    items: list[AuditRecordRead]
    next_cursor: str | None


class ChainProblemRead(BaseModel):
    """Where the chain first breaks."""

    kind: Literal["changed", "removed", "reordered", "unkeyed", "unknown_key", "truncated", "unsealed"]
    seq: int
    record_id: int | None = Field(description="The record at fault, when it still exists.")
    detail: str


class VerifyResult(BaseModel):
    ok: bool
    checked: int = Field(description="How many records were walked.")
    problem: ChainProblemRead | None
    unsealed: int = Field(default=0, description="Committed records not chained yet (sealed within seconds).")
    oldest_unsealed_seconds: float | None = Field(
        default=None,
        description="Age of the oldest of them; above VIGIL_AUDIT_SEAL_MAX_SECONDS `ok` is false.",
    )


class AnchorRead(BaseModel):
    """A signed checkpoint of the chain head, to keep outside Vigil and check with `verify --anchor`."""

    version: int
    seq: int = Field(description="The head's position when the anchor was taken.")
    hash: str = Field(description="The hash of the record at `seq`.")
    records: int = Field(description="How many records the chain held, all verified.")
    at: str = Field(description="When the anchor was taken (ISO 8601, UTC).")
    key_id: str = Field(description="The audit key the anchor's MAC derives from.")
    mac: str = Field(description="HMAC-SHA256 over the other fields, with a key derived for anchors.")
