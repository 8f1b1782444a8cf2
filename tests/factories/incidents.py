"""Incidents for tests, created through the service like every other writer."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from vigil.core.actor import Actor
from vigil.incidents import service
from vigil.incidents.models import Incident
from vigil.incidents.schemas import IncidentCreate


def make_incident(session: Session, actor: Actor, **fields: Any) -> Incident:
    fields.setdefault("title", "Database connection timeout")
    return service.create(session=session, actor=actor, data=IncidentCreate(**fields))
