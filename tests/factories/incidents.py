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


_LIVE_CLOCK_FIELDS = {"elapsed_seconds", "remaining_seconds", "percent_used"}


def as_stored(body: dict[str, Any]) -> dict[str, Any]:
    """An incident's JSON without its SLA clocks' elapsed and remaining time, which are worked out at
    read time: two reads of the same incident a second apart differ there (a loaded CI machine took 3 s
    between a create and the GET that followed it)."""
    if not isinstance(body.get("sla"), dict):
        return body
    clocks = {k: {f: x for f, x in c.items() if f not in _LIVE_CLOCK_FIELDS} for k, c in body["sla"].items()}
    return {**body, "sla": clocks}
