"""Background work for incidents: closing resolved incidents once their confirmation period is over, and
putting SLA warnings and breaches on the timeline."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.auth import service as auth_service
from vigil.core import audit, clock
from vigil.core.jobs.queue import job, periodic
from vigil.incidents import service
from vigil.incidents.lifecycle import Status
from vigil.incidents.models import Incident
from vigil.incidents.schemas import IncidentNote
from vigil.incidents.service import clocks, escalation
from vigil.incidents.settings import get_incident_settings

AUTO_CLOSE = "incidents.auto_close"


@periodic(every=timedelta(minutes=15), name=AUTO_CLOSE)
def auto_close(session: Session) -> int:
    """Close incidents resolved longer ago than `auto_close_after_hours`; returns how many were closed."""
    hours = get_incident_settings().auto_close_after_hours
    if hours <= 0:
        return 0
    cutoff = clock.now() - timedelta(hours=hours)
    ids = session.scalars(
        select(Incident.id)
        .where(Incident.status == Status.RESOLVED, Incident.resolved_at < cutoff)
        .order_by(Incident.resolved_at)
        .limit(500)
    ).all()
    actor = auth_service.system_actor()
    note = IncidentNote(note=f"closed automatically {hours:g} hours after resolution")
    for incident_id in ids:
        service.close(session=session, actor=actor, ref=incident_id, data=note)
    return len(ids)


SLA_THRESHOLD = "incidents.sla_threshold"


@job(SLA_THRESHOLD)
def sla_threshold(session: Session, payload: dict[str, Any]) -> None:
    """An SLA warning or breach on an incident goes on its timeline (once: the job runs once, and the SLA
    engine emits each threshold once)."""
    if payload.get("record_type") != clocks.RECORD:
        return
    incident = session.get(Incident, uuid.UUID(str(payload["record_id"])))
    if incident is None:
        return
    percent = int(payload["percent"])
    metric = str(payload["metric"])
    audit.record(
        session,
        auth_service.system_actor(),
        action="incident.sla_breach" if percent >= 100 else "incident.sla_warning",
        object_type="incident",
        object_id=incident.id,
        changes={"sla": [None, {"metric": metric, "percent": percent, "due_at": payload["due_at"]}]},
    )
    escalation.on_threshold(session, incident, metric, percent)
