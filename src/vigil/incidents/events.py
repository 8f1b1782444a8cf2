"""Past-tense facts about incidents, emitted in the writer's transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class IncidentCreated:
    incident_id: uuid.UUID
    number: str
    priority: str


@dataclass(frozen=True)
class IncidentUpdated:
    incident_id: uuid.UUID
    number: str
    fields: list[str]


@dataclass(frozen=True)
class IncidentTransitioned:
    incident_id: uuid.UUID
    number: str
    action: str
    from_status: str
    to_status: str


@dataclass(frozen=True)
class IncidentAssigned:
    """The assignee or the group changed (at creation, by an update, or by acknowledging)."""

    incident_id: uuid.UUID
    number: str
    assigned_to_id: uuid.UUID | None
    assignment_group_id: uuid.UUID | None
    actor_id: uuid.UUID | None


@dataclass(frozen=True)
class IncidentCommented:
    incident_id: uuid.UUID
    number: str
    comment_id: uuid.UUID
    author_id: uuid.UUID | None
    internal: bool


@dataclass(frozen=True)
class IncidentEscalated:
    """Functional (to the next level's team) or hierarchical (to the group's manager)."""

    incident_id: uuid.UUID
    number: str
    kind: str
    level: int
    team_id: uuid.UUID | None
    manager_id: uuid.UUID | None
    reason: str
    actor_id: uuid.UUID | None
