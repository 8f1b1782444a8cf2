"""Background work for incidents: closing resolved incidents once their confirmation period is over."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.auth import service as auth_service
from vigil.core import clock
from vigil.core.jobs.queue import periodic
from vigil.incidents import service
from vigil.incidents.lifecycle import Status
from vigil.incidents.models import Incident
from vigil.incidents.schemas import IncidentNote
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
