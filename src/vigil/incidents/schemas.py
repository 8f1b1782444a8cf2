"""Pydantic shapes of incidents: create, update, actions, filter, read, timeline."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from vigil.auth.schemas import TeamRef, UserRef
from vigil.cmdb.schemas import CIRef, ImpactedServiceRead
from vigil.core.errors import Invalid
from vigil.core.schemas import (
    NO_NUL,
    Collection,
    LongText,
    Ref,
    RequiredText,
    ShortText,
    StrictBool,
    Tag,
    UtcTime,
)
from vigil.incidents.lifecycle import Action, Status
from vigil.incidents.priority import Level, Priority


class ResolutionCode(StrEnum):
    FIXED = "fixed"
    WORKAROUND = "workaround"
    NOT_REPRODUCIBLE = "not_reproducible"
    DUPLICATE = "duplicate"
    RESOLVED_BY_CALLER = "resolved_by_caller"
    KNOWN_ERROR = "known_error"


class _SeverityAlias(BaseModel):
    """SPEC-060 calls priority `severity`; accept either on input, never both disagreeing."""

    priority: Priority | None = None
    severity: Priority | None = Field(default=None, description="Synonym of `priority` (SPEC-060).")
    priority_reason: LongText | None = Field(
        default=None,
        validate_default=True,  # checked when absent too, beside every other field's error
        description="Required when `priority` is set explicitly instead of computed.",
    )

    @field_validator("priority_reason")
    @classmethod
    def _reason_for_override(cls, value: str | None, info: ValidationInfo) -> str | None:
        if (info.data.get("priority") or info.data.get("severity")) and not (value or "").strip():
            raise PydanticCustomError(
                "required_with",
                "setting priority explicitly requires a priority_reason",
                {"other": "priority"},
            )
        return value

    @model_validator(mode="after")
    def _merge_severity(self) -> Any:
        if self.severity is not None:
            if self.priority is not None and self.priority != self.severity:
                raise ValueError("priority and severity are synonyms and must not disagree")
            self.priority = self.severity
        return self


class IncidentCreate(_SeverityAlias):
    model_config = ConfigDict(extra="forbid")

    title: ShortText
    description: LongText = ""
    category: Ref = "Other"
    impact: Level = Level.MEDIUM
    urgency: Level = Level.MEDIUM
    requester: Ref | None = Field(default=None, description="User UUID or email; defaults to the caller.")
    assigned_to: Ref | None = Field(default=None, description="User UUID or email.")
    assignment_group: Ref | None = Field(default=None, description="Team UUID or name.")
    affected_cis: list[Ref] = Field(default_factory=list, max_length=50, description="CI UUIDs or names.")
    tags: list[Tag] = Field(default_factory=list, max_length=20)
    parent: Ref | None = Field(default=None, description="Master incident (UUID or number) of a duplicate.")


class IncidentUpdate(_SeverityAlias):
    """Partial update: only fields present in the request change; null clears a clearable field."""

    model_config = ConfigDict(extra="forbid")

    title: ShortText | None = None
    description: LongText | None = None
    category: Ref | None = None
    impact: Level | None = None
    urgency: Level | None = None
    assigned_to: Ref | None = None
    assignment_group: Ref | None = None
    affected_cis: list[Ref] | None = Field(default=None, max_length=50)
    tags: list[Tag] | None = Field(default=None, max_length=20)
    root_cause: LongText | None = None
    parent: Ref | None = None
    status: Status | None = Field(
        default=None, description="Moves through the state machine like the actions."
    )
    resolution_code: ResolutionCode | None = None
    resolution_notes: LongText | None = None
    version: int | None = Field(
        default=None,
        ge=1,
        description="The version this change was made from (as If-Match): a newer incident is a 412.",
    )


class IncidentResolve(BaseModel):
    model_config = ConfigDict(extra="forbid")

    resolution_notes: RequiredText
    resolution_code: ResolutionCode = ResolutionCode.FIXED
    root_cause: LongText | None = None


class IncidentReopen(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: RequiredText


class IncidentEscalate(BaseModel):
    """Escalate: `functional` hands it to the next level's team (or `to_level`'s); `hierarchical`
    brings in the manager of its group, who keeps it where it is."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["functional", "hierarchical"] = "functional"
    reason: RequiredText
    to_level: int | None = Field(default=None, ge=2, le=4, description="Skip to this level (functional).")


class EscalationLevelSet(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: RequiredText
    team: Ref = Field(description="Team UUID or name holding this level.")


class EscalationLevelRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    level: int
    name: str
    team: TeamRef
    updated_at: datetime


class EscalationLevelList(BaseModel):
    items: list[EscalationLevelRead]


class IncidentNote(BaseModel):
    """Optional note attached to a simple action (acknowledge, hold, resume, close, cancel)."""

    model_config = ConfigDict(extra="forbid")

    note: LongText | None = None


class CommentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: RequiredText
    internal: StrictBool = Field(
        default=False, description="True for a work note, hidden from the requester."
    )


class CommentRead(BaseModel):
    """A comment, or (internal) a work note only staff see."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    incident_id: uuid.UUID
    author_id: uuid.UUID | None
    author_name: str
    body: str
    internal: bool
    created_at: datetime


class CommentPage(Collection[CommentRead]):
    """A page of an incident's comments, oldest first."""


class SortKey(StrEnum):
    CREATED = "created_at"
    CREATED_DESC = "-created_at"
    UPDATED = "updated_at"
    UPDATED_DESC = "-updated_at"
    PRIORITY = "priority"
    PRIORITY_DESC = "-priority"
    NUMBER = "number"
    NUMBER_DESC = "-number"
    #: The running SLA clock due soonest first; incidents with no running clock are left out.
    SLA_DUE = "sla_due"


class SlaFilter(StrEnum):
    BREACHED = "breached"
    AT_RISK = "at_risk"


class IncidentFilter(BaseModel):
    """One filter shape for the API query string, the UI queue form and the CLI options."""

    model_config = ConfigDict(extra="forbid")

    status: list[Status] = Field(default_factory=list)
    priority: list[Priority] = Field(default_factory=list)
    category: list[Ref] = Field(default_factory=list)
    assigned_to: Ref | None = Field(default=None, description="User UUID or email, `me` or `none`.")
    assignment_group: Ref | None = Field(
        default=None, description="Team UUID or name, `mine` (any of the caller's teams) or `none`."
    )
    ci: Ref | None = Field(default=None, description="Affected CI UUID or name.")
    created_after: UtcTime | None = None
    created_before: UtcTime | None = None
    updated_after: UtcTime | None = Field(
        default=None,
        description="Only incidents changed at or after this time (for sync clients, with sort=updated_at).",
    )
    q: Ref | None = Field(default=None, description="Free text over number, title and description.")
    sla: list[SlaFilter] = Field(
        default_factory=list,
        description="`breached` (a clock past its target) and/or `at_risk` (a running clock past 75 % of it).",
    )
    sort: SortKey = SortKey.CREATED_DESC
    cursor: Ref | None = None
    limit: int = Field(default=50, ge=1, le=200)
    count: bool = Field(default=False, description="Also return the total (exact up to 10,000).")
    fields: Ref | None = Field(
        default=None,
        description="Comma-separated fields each item keeps (e.g. `number,title,status`); all by default.",
    )

    def selected_fields(self) -> list[str] | None:
        """The fields asked for, checked against the incident's shape (an unknown one is a 422)."""
        if self.fields is None:
            return None
        names = [n.strip() for n in self.fields.split(",") if n.strip()]
        unknown = [n for n in names if n not in IncidentRead.model_fields]
        if unknown or not names:
            known = ", ".join(IncidentRead.model_fields)
            raise Invalid(
                f"unknown field(s) {', '.join(unknown) or '(none given)'}; choose from: {known}",
                field="fields",
            )
        return names


class CategoryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    active: bool
    position: int
    updated_at: datetime
    version: int = Field(description="Bumped by every change; the ETag, for If-Match.")


class CategoryCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60, pattern=NO_NUL)
    ]


class CategoryUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    active: StrictBool
    version: int | None = Field(
        default=None, ge=1, description="The version read (as If-Match): a newer one is a 412."
    )


class IncidentRef(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    number: str
    title: str


class SlaClockRead(BaseModel):
    """One SLA clock of a record, as it stands when read."""

    state: Literal["running", "paused", "met", "breached"]
    policy: str
    priority: str
    calendar: str
    target_seconds: int = Field(description="The target, in business seconds on the calendar.")
    started_at: datetime
    due_at: datetime | None = Field(description="When the target is reached; null while paused or stopped.")
    stopped_at: datetime | None
    elapsed_seconds: int = Field(description="Business seconds used.")
    paused_seconds: int = Field(description="Wall-clock seconds spent paused.")
    remaining_seconds: int = Field(description="Business seconds left; negative once breached.")
    percent_used: float
    wall_seconds: int | None = Field(description="Wall-clock seconds from start to stop; null until stopped.")


class SlaSpan(BaseModel):
    start: datetime
    end: datetime
    seconds: int


class SlaEventRead(BaseModel):
    kind: str = Field(description="start, pause, resume, stop, restart, retarget, warning or breach.")
    at: datetime
    data: dict[str, Any]


class SlaExplanation(BaseModel):
    """Why one clock's due time is what it is."""

    metric: Literal["response", "resolution"]
    clock: SlaClockRead
    calendar: dict[str, Any] = Field(description="The calendar as snapshotted when the clock started.")
    events: list[SlaEventRead]
    spans: list[SlaSpan] = Field(description="The business time counted: working time while running.")


class IncidentSla(BaseModel):
    number: str
    clocks: list[SlaExplanation]


class IncidentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    number: str
    title: str
    description: str
    category: str
    impact: Level
    urgency: Level
    priority: Priority
    severity: Priority
    priority_reason: str | None
    status: Status
    requester: UserRef
    assigned_to: UserRef | None
    assignment_group: TeamRef | None
    escalation_level: int = Field(description="The support level holding it: 1 (L1) to 4 (L4).")
    affected_cis: list[CIRef]
    impacted_services: list[ImpactedServiceRead] = Field(
        default_factory=list,
        description="The services its affected CIs reach (CMDB impact analysis), nearest first.",
    )
    created_at: datetime
    updated_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    time_to_acknowledge: int | None = Field(description="Seconds from creation to acknowledgement.")
    time_to_resolve: int | None = Field(description="Seconds from creation to resolution.")
    time_to_acknowledge_business: int | None = Field(
        default=None, description="Business seconds (on the response clock's calendar) to acknowledgement."
    )
    time_to_resolve_business: int | None = Field(
        default=None, description="Business seconds (on the resolution clock's calendar) to resolution."
    )
    response_due_at: datetime | None = Field(default=None, description="When it must be acknowledged (SLA).")
    resolution_due_at: datetime | None = Field(default=None, description="When it must be resolved (SLA).")
    sla: dict[str, SlaClockRead] = Field(
        default_factory=dict,
        description="Its SLA clocks by metric (response, resolution), as they stand now.",
    )
    resolution_code: ResolutionCode | None
    resolution_notes: str | None
    root_cause: str | None
    parent: IncidentRef | None
    tags: list[str]
    allowed_actions: list[Action]
    version: int


class IncidentPage(Collection[IncidentRead]):
    """A page of incidents."""


class TimelineKind(StrEnum):
    CREATED = "created"
    CHANGE = "change"
    TRANSITION = "transition"
    COMMENT = "comment"
    WORK_NOTE = "work_note"


class TimelineEntry(BaseModel):
    id: str = Field(description="`audit-<n>` for a recorded change, `comment-<uuid>` for a comment.")
    at: datetime
    kind: TimelineKind
    actor: str
    actor_id: uuid.UUID | None = None
    action: str
    changes: dict[str, list[Any]] = Field(default_factory=dict)
    body: str | None = None
    summary: str | None = Field(
        default=None,
        description="What a recorded change did, in words, after the actor's name "
        "(e.g. `set status In progress and assigned it to themselves`); none on comments.",
    )


class CategoryPage(Collection[CategoryRead]):
    """The categories."""


class TimelinePage(Collection[TimelineEntry]):
    """A page of an incident's timeline, oldest first."""
