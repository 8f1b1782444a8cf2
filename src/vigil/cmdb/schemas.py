"""Pydantic shapes for CI classes, configuration items, relationships and impact analysis."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from vigil.auth.schemas import TeamRef
from vigil.cmdb.vocabulary import MAX_DEPTH, Environment, Lifecycle, RelKind
from vigil.core.schemas import Collection, LongText, Ref, ShortText, StrictBool, SyncQuery, Tag

ClassKey = Field(pattern=r"^[a-z][a-z0-9_]{0,59}$", description="Lower-case letters, digits and _.")


class CIRef(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    ci_class: str
    environment: str
    status: str


class ExternalId(BaseModel):
    model_config = ConfigDict(from_attributes=True, extra="forbid")

    source: str = Field(min_length=1, max_length=60, pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    external_id: str = Field(min_length=1, max_length=200, pattern=r"^[^\x00]*$")


class CIRead(CIRef):
    criticality: int
    owner_team: TeamRef | None
    description: str
    attributes: dict[str, Any]
    tags: list[str]
    external_ids: list[ExternalId]
    created_at: datetime
    updated_at: datetime
    version: int = Field(description="Bumped by every change; the ETag, for If-Match.")


class CICreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: ShortText
    ci_class: str = Field(default="business_service", min_length=1, max_length=60)
    environment: Environment = Environment.PROD
    status: Lifecycle = Lifecycle.ACTIVE
    criticality: int = Field(default=3, ge=1, le=4, description="1 is the most critical.")
    owner_team: Ref | None = Field(default=None, description="Team id or name.")
    description: LongText = ""
    attributes: dict[str, Any] = Field(
        default_factory=dict, description="Checked against the class's schema."
    )
    tags: list[Tag] = Field(default_factory=list, max_length=50)
    external_ids: list[ExternalId] = Field(default_factory=list, max_length=20)


class CIUpdate(BaseModel):
    """The fields present are changed. Retiring a CI with open work on it needs `confirm: true`."""

    model_config = ConfigDict(extra="forbid")

    name: ShortText | None = None
    environment: Environment | None = None
    status: Lifecycle | None = None
    criticality: int | None = Field(default=None, ge=1, le=4)
    owner_team: Ref | None = None
    description: LongText | None = None
    attributes: dict[str, Any] | None = None
    tags: list[Tag] | None = Field(default=None, max_length=50)
    external_ids: list[ExternalId] | None = Field(default=None, max_length=20)
    confirm: StrictBool = Field(default=False, description="Retire even though open work is on it.")
    version: int | None = Field(default=None, description="The version you read (or send If-Match).")


class CIQuery(SyncQuery):
    q: Ref | None = Field(default=None, description="Only CIs whose name contains this text.")
    ci_class: str | None = Field(default=None, max_length=60, description="Only CIs of this class.")
    environment: Environment | None = None
    status: Lifecycle | None = None
    owner_team: Ref | None = Field(default=None, description="Only CIs this team (id or name) owns.")
    tag: Tag | None = None


class CIPage(Collection[CIRead]):
    """A page of configuration items."""


class CIClassRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    key: str
    label: str
    description: str
    is_service: bool
    requester_visible: bool
    builtin: bool
    attribute_schema: dict[str, Any]
    version: int


class CIClassCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = ClassKey
    label: ShortText
    description: LongText = ""
    is_service: StrictBool = False
    requester_visible: StrictBool = False
    attribute_schema: dict[str, Any] = Field(
        default_factory=dict, description="A JSON Schema (draft 2020-12) for the CIs' attributes."
    )


class CIClassUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: ShortText | None = None
    description: LongText | None = None
    is_service: StrictBool | None = None
    requester_visible: StrictBool | None = None
    attribute_schema: dict[str, Any] | None = None
    version: int | None = Field(default=None, description="The version you read (or send If-Match).")


class RelationshipCreate(BaseModel):
    """This CI <kind> `target`, or with `source`, `source` <kind> this CI."""

    model_config = ConfigDict(extra="forbid")

    kind: RelKind
    target: Ref | None = Field(default=None, description="CI id or name this one relates to.")
    source: Ref | None = Field(default=None, description="CI id or name relating to this one.")


class Direction(StrEnum):
    OUTGOING = "outgoing"
    INCOMING = "incoming"


class RelationshipRead(BaseModel):
    id: uuid.UUID
    kind: RelKind
    #: How it reads from this CI: "depends on" (outgoing) or "is depended on by" (incoming).
    label: str
    direction: Direction
    ci: CIRef
    created_at: datetime


class ImpactDirection(StrEnum):
    """upstream: what a failure of this CI reaches (toward the business services that depend on it);
    downstream: what this CI relies on (toward the infrastructure under it)."""

    UPSTREAM = "upstream"
    DOWNSTREAM = "downstream"


class ImpactQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    direction: ImpactDirection = ImpactDirection.UPSTREAM
    depth: int = Field(default=10, ge=1, le=MAX_DEPTH)


class PathStep(BaseModel):
    ci: CIRef
    #: The relationship that led here from the previous step.
    kind: RelKind
    #: That relationship worded from the previous step: "db-host-01 hosts postgres".
    label: str


class ImpactItem(BaseModel):
    ci: CIRef
    criticality: int
    is_service: bool
    distance: int
    #: From the analysed CI (excluded) to this one (included), a shortest way.
    path: list[PathStep]


class ImpactRead(BaseModel):
    origin: CIRef
    direction: ImpactDirection
    depth: int
    items: list[ImpactItem]
    services: list[ImpactItem] = Field(
        description="The business and technical services among `items`: every one reached (up to 2,000)."
    )
    reached: int = Field(description="How many CIs (services and others) were reached within `depth`.")
    truncated: bool = Field(
        description="More CIs were reached than an answer lists: every service and the nearest 2,000 others are kept."
    )


class HistoryEntry(BaseModel):
    at: datetime
    actor: str
    action: str
    changes: dict[str, Any]


class HistoryPage(BaseModel):
    items: list[HistoryEntry]


class RelationshipList(BaseModel):
    items: list[RelationshipRead]


class CIClassList(BaseModel):
    items: list[CIClassRead]


class WorkItemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kind: str
    number: str
    title: str
    status: str
    priority: str | None
    ci_id: uuid.UUID
    link: str


class OpenWork(BaseModel):
    """Open work on the CI and on everything it relies on."""

    items: list[WorkItemRead]


class ImpactedServiceRead(BaseModel):
    """A service an incident's affected CIs reach, stored on the incident."""

    ci: CIRef
    criticality: int
    distance: int
