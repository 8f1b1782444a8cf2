"""Read models and audit snapshots of incidents."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from vigil.auth.schemas import TeamRef, UserRef
from vigil.cmdb.schemas import CIRef, ImpactedServiceRead
from vigil.core import clock
from vigil.core.actor import Actor
from vigil.incidents import lifecycle, policy
from vigil.incidents.models import Incident
from vigil.incidents.schemas import IncidentRead, IncidentRef, SlaClockRead
from vigil.sla import service as sla


def _seconds(start: datetime, end: datetime | None) -> int | None:
    return None if end is None else int((end - start).total_seconds())


def _clocks(incident: Incident) -> dict[str, SlaClockRead]:
    now = clock.now()
    return {c.metric: SlaClockRead(**_public(sla.view(c, now))) for c in incident.sla_clocks}


def _public(view: sla.ClockView) -> dict[str, Any]:
    # A shallow copy: the view holds only plain values (`asdict` deep-copies each, at a cost per create).
    return {k: v for k, v in vars(view).items() if k not in ("metric", "breached")}


def to_read(incident: Incident, actor: Actor | None = None) -> IncidentRead:
    """The read model; with `actor`, `allowed_actions` lists only what that actor may do next."""
    clocks = _clocks(incident)
    response, resolution = clocks.get("response"), clocks.get("resolution")
    return IncidentRead(
        id=incident.id,
        number=incident.number,
        title=incident.title,
        description=incident.description,
        category=incident.category,
        impact=incident.impact,
        urgency=incident.urgency,
        priority=incident.priority,
        severity=incident.priority,
        priority_reason=incident.priority_reason,
        status=incident.status,
        requester=UserRef.model_validate(incident.requester),
        assigned_to=UserRef.model_validate(incident.assigned_to) if incident.assigned_to else None,
        assignment_group=TeamRef.model_validate(incident.assignment_group)
        if incident.assignment_group
        else None,
        escalation_level=incident.escalation_level or 1,
        affected_cis=[CIRef.model_validate(ci) for ci in incident.affected_cis],
        impacted_services=[
            ImpactedServiceRead(
                ci=CIRef.model_validate(row.ci), criticality=row.ci.criticality, distance=row.distance
            )
            for row in incident.impacted_services
        ],
        created_at=incident.created_at,
        updated_at=incident.updated_at,
        acknowledged_at=incident.acknowledged_at,
        resolved_at=incident.resolved_at,
        closed_at=incident.closed_at,
        time_to_acknowledge=_seconds(incident.created_at, incident.acknowledged_at),
        time_to_resolve=_seconds(incident.created_at, incident.resolved_at),
        time_to_acknowledge_business=response.elapsed_seconds
        if response and incident.acknowledged_at and response.stopped_at
        else None,
        time_to_resolve_business=resolution.elapsed_seconds
        if resolution and incident.resolved_at and resolution.stopped_at
        else None,
        response_due_at=response.due_at if response else None,
        resolution_due_at=resolution.due_at if resolution else None,
        sla=clocks,
        resolution_code=incident.resolution_code,
        resolution_notes=incident.resolution_notes,
        root_cause=incident.root_cause,
        parent=IncidentRef.model_validate(incident.parent)
        if incident.parent and (actor is None or incident.parent_visible)
        else None,
        tags=list(incident.tags or []),
        allowed_actions=[
            a
            for a in lifecycle.allowed_actions(incident.status)
            if actor is None or policy.can(actor, f"incident.{a}")
        ],
        version=incident.version,
    )


def snapshot(incident: Incident) -> dict[str, Any]:
    """The audited fields, with references shown as people read them (email, team name, CI name)."""
    return {
        "title": incident.title,
        "description": incident.description,
        "category": incident.category,
        "impact": incident.impact,
        "urgency": incident.urgency,
        "priority": incident.priority,
        "priority_reason": incident.priority_reason,
        "status": incident.status,
        "requester": incident.requester.email if incident.requester else None,
        "assigned_to": incident.assigned_to.email if incident.assigned_to else None,
        "assignment_group": incident.assignment_group.name if incident.assignment_group else None,
        "affected_cis": sorted(ci.name for ci in incident.affected_cis),
        "impacted_services": sorted(row.ci.name for row in incident.impacted_services),
        "tags": list(incident.tags or []),
        "root_cause": incident.root_cause,
        "parent": incident.parent.number if incident.parent else None,
        "resolution_code": incident.resolution_code,
        "resolution_notes": incident.resolution_notes,
    }
