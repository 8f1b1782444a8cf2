"""What an incident's affected CIs reach: the impacted services, stored on the incident whenever its
affected CIs change, and the rule that a hit on a critical service raises the incident's impact."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.cmdb import service as cmdb_service
from vigil.cmdb import work
from vigil.cmdb.models import ConfigurationItem
from vigil.core import audit
from vigil.core.actor import Actor
from vigil.incidents import lifecycle, policy, priority
from vigil.incidents.models import Incident, IncidentServiceImpact, incident_ci
from vigil.incidents.settings import IncidentSettings


def refresh(session: Session, incident: Incident, settings: IncidentSettings) -> str | None:
    """Recompute the services the incident impacts; when one is critical enough (the settings' rule) and
    the impact is below high, raise it (and a computed priority with it). Returns why it was raised."""
    found = cmdb_service.impacted_services(session, [ci.id for ci in incident.affected_cis])
    kept = {row.ci_id: row for row in incident.impacted_services}
    incident.impacted_services = [
        _row(kept.get(hit.ci.id), incident.id, hit.ci, hit.distance) for hit in found
    ]
    threshold = settings.critical_service_raises_impact_at
    critical = [hit for hit in found if threshold is not None and hit.ci.criticality <= threshold]
    if not critical or incident.impact == "high":
        return None
    incident.impact = "high"
    if incident.priority_reason is None:  # a computed priority follows; a set one stays as set
        incident.priority = priority.compute(incident.impact, incident.urgency, settings.priority_matrix)
    hit = critical[0]
    return f"it affects {hit.ci.name}, a service of criticality {hit.ci.criticality}"


def _row(
    row: IncidentServiceImpact | None, incident_id: uuid.UUID, ci: ConfigurationItem, distance: int
) -> IncidentServiceImpact:
    if row is None:
        row = IncidentServiceImpact(incident_id=incident_id, ci=ci)
    row.distance = distance
    return row


def record_raise(session: Session, actor: Actor, incident: Incident, old_impact: str, reason: str) -> None:
    """The timeline's entry saying the impact was raised, and why."""
    audit.record(
        session, actor, action="incident.impact_raised", object_type="incident", object_id=incident.id,
        changes={"impact": [old_impact, incident.impact], "reason": [None, reason]},
    )  # fmt: skip


def _open_incidents(session: Session, actor: Actor, ci_ids: work.CIIds) -> list[work.WorkItem]:
    """Open incidents `actor` may see on any of `ci_ids` (the CMDB's open-work provider)."""
    rows = session.execute(
        select(Incident.number, Incident.title, Incident.status, Incident.priority, incident_ci.c.ci_id)
        .join(incident_ci, incident_ci.c.incident_id == Incident.id)
        .where(
            incident_ci.c.ci_id.in_(ci_ids),
            Incident.status.in_([str(s) for s in lifecycle.OPEN]),
            policy.visible(actor),
        )
        .order_by(Incident.number)
        .limit(500)
    )
    return [
        work.WorkItem("incident", number, title, status, prio, ci_id, f"/incidents/{number}")
        for number, title, status, prio, ci_id in rows
    ]


work.register("incident", _open_incidents)
