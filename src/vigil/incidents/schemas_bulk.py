"""Pydantic shapes of a bulk action: one action over a list of incidents, each reported on its own."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from vigil.core.schemas import LongText, Ref, RequiredText, StrictBool
from vigil.incidents.schemas import IncidentRead, ResolutionCode

BULK_MAX = 100


class BulkAction(StrEnum):
    ASSIGN = "assign"
    CHANGE_TEAM = "change_team"
    COMMENT = "comment"
    RESOLVE = "resolve"
    CLOSE = "close"


#: What each action needs besides the references.
REQUIRED: dict[BulkAction, tuple[str, ...]] = {
    BulkAction.ASSIGN: (),  # no assignee: unassign
    BulkAction.CHANGE_TEAM: (),  # no team: clear the group
    BulkAction.COMMENT: ("body",),
    BulkAction.RESOLVE: ("resolution_notes",),
    BulkAction.CLOSE: (),
}


class IncidentBulk(BaseModel):
    """`action` applied to every incident in `refs`; each is checked and reported separately."""

    model_config = ConfigDict(extra="forbid")

    action: BulkAction
    refs: list[Ref] = Field(min_length=1, max_length=BULK_MAX, description="Incident numbers or UUIDs.")
    assigned_to: Ref | None = Field(default=None, description="assign: user UUID or email; null unassigns.")
    assignment_group: Ref | None = Field(default=None, description="change_team: team UUID or name.")
    body: RequiredText | None = Field(default=None, description="comment: the text.")
    internal: StrictBool = Field(default=False, description="comment: a work note, hidden from requesters.")
    resolution_code: ResolutionCode = ResolutionCode.FIXED
    resolution_notes: LongText | None = Field(default=None, description="resolve: what was done.")
    note: LongText | None = Field(default=None, description="close: an optional note for the timeline.")

    @model_validator(mode="after")
    def _needs(self) -> Any:
        missing = [name for name in REQUIRED[self.action] if not (getattr(self, name) or "").strip()]
        if missing:
            raise ValueError(f"{self.action} needs {', '.join(missing)}")
        unique: dict[str, str] = {}  # each incident once, in the order given
        for ref in self.refs:
            unique.setdefault(ref.strip().upper(), ref.strip())
        self.refs = list(unique.values())
        return self


class BulkProblem(BaseModel):
    """Why one item was refused (the problem the single action would have answered)."""

    type: str
    title: str
    status: int
    detail: str


class BulkItem(BaseModel):
    ref: str
    ok: bool
    status: int = Field(description="The status the single action would have answered (200, 404, 409...).")
    incident: IncidentRead | None = None
    problem: BulkProblem | None = None


class BulkResult(BaseModel):
    action: BulkAction
    succeeded: int
    failed: int
    results: list[BulkItem]
