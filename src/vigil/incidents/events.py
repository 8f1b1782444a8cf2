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
