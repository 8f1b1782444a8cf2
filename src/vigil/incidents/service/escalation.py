"""Escalation: functional (to the next support level's team, L1 → L4, along a configured chain) and
hierarchical (bringing in the group's manager), by hand with a reason or by the SLA engine's
thresholds (settings `sla_escalate_manager_at` and `sla_escalate_functional_at`, on the resolution
clock). Each lands on the timeline and is an `IncidentEscalated` event for notifications."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from vigil.auth import service as auth_service
from vigil.auth.models import Team
from vigil.core import audit, clock, events
from vigil.core.actor import Actor
from vigil.core.errors import Conflict, IllegalTransition, NotFound, check_version
from vigil.incidents import lifecycle, policy
from vigil.incidents.events import IncidentEscalated
from vigil.incidents.models import EscalationLevel, Incident
from vigil.incidents.schemas import EscalationLevelSet, IncidentEscalate
from vigil.incidents.service import transitions
from vigil.incidents.service.records import load
from vigil.incidents.settings import IncidentSettings, get_incident_settings

LEVELS = range(1, 5)


def levels(*, session: Session, actor: Actor) -> list[EscalationLevel]:
    """The chain, L1 first (staff read it: it says who an escalation goes to)."""
    policy.require(actor, "incident.escalate")
    query = select(EscalationLevel).options(joinedload(EscalationLevel.team)).order_by(EscalationLevel.level)
    return list(session.scalars(query))


def set_level(*, session: Session, actor: Actor, level: int, data: EscalationLevelSet) -> EscalationLevel:
    policy.require(actor, "incident.manage_escalation")
    if level not in LEVELS:
        raise NotFound(f"there is no level {level}: levels run from 1 (L1) to 4 (L4)")
    team = auth_service.resolve_team(session, data.team, field="team")
    row = session.scalars(select(EscalationLevel).where(EscalationLevel.level == level)).one_or_none()
    before = {"name": row.name, "team": row.team.name} if row else {}
    if row is None:
        row = EscalationLevel(id=uuid.uuid4(), level=level, name=data.name.strip(), team=team)
        session.add(row)
    else:
        row.name, row.team = data.name.strip(), team
    audit.record(
        session,
        actor,
        action="incident.escalation_level.set",
        object_type="incident_escalation_level",
        object_id=row.id,
        changes=audit.diff(before, {"name": row.name, "team": team.name}) | {"level": [None, level]},
    )
    session.flush()
    return row


def clear_level(*, session: Session, actor: Actor, level: int) -> None:
    policy.require(actor, "incident.manage_escalation")
    row = (
        session.scalars(select(EscalationLevel).where(EscalationLevel.level == level)).one_or_none()
        if level in LEVELS
        else None
    )
    if row is None:
        raise NotFound(f"level {level} is not configured (levels run from 1 to 4)")
    audit.record(
        session,
        actor,
        action="incident.escalation_level.clear",
        object_type="incident_escalation_level",
        object_id=row.id,
        changes={"level": [level, None], "team": [row.team.name, None]},
    )
    session.delete(row)
    session.flush()


def escalate(
    *,
    session: Session,
    actor: Actor,
    ref: str | uuid.UUID,
    data: IncidentEscalate,
    expected_version: int | frozenset[int] | None = None,
) -> Incident:
    incident = load(session, actor, ref, for_update=True)
    policy.require(actor, "incident.escalate")
    check_version(incident.number, incident.version, expected_version)
    return _escalate(session, actor, incident, data.kind, data.reason.strip(), data.to_level)


def _functional(
    session: Session, incident: Incident, level_before: int, to_level: int | None
) -> tuple[int, Team]:
    """Hand the incident to the team holding the next (or the given) level."""
    level = to_level or level_before + 1
    if level <= level_before:
        raise Conflict(f"{incident.number} is already at L{level_before}: escalate to a higher level")
    if level not in LEVELS:
        raise Conflict(f"{incident.number} is at L{level_before}, the last level: there is no L{level}")
    query = (
        select(EscalationLevel)
        .options(joinedload(EscalationLevel.team))
        .where(EscalationLevel.level == level)
    )
    step = session.scalars(query).one_or_none()
    if step is None:
        raise Conflict(
            f"L{level} has no team: configure the escalation chain first (vigil incident level-set)",
            field="to_level",
        )
    incident.escalation_level = level
    incident.assignment_group = step.team
    if incident.assigned_to is not None and all(m.id != incident.assigned_to.id for m in step.team.members):
        incident.assigned_to = None  # the new level's team picks it up
    return level, step.team


def _escalate(
    session: Session, actor: Actor, incident: Incident, kind: str, reason: str, to_level: int | None
) -> Incident:
    if incident.status in lifecycle.FINAL or incident.status == lifecycle.Status.RESOLVED:
        raise IllegalTransition(
            f"cannot escalate {incident.number}: it is {incident.status}",
            current_status=incident.status,
        )
    level_before = incident.escalation_level or 1
    group_before = incident.assignment_group
    manager_id = None
    team: Team | None
    if kind == "functional":
        level, team = _functional(session, incident, level_before, to_level)
    else:
        level, team = level_before, incident.assignment_group
        if team is None or team.manager_id is None:
            raise Conflict(
                f"{incident.number} has no group with a manager to escalate to: assign a group first",
                field="kind",
            )
        manager_id = team.manager_id
    incident.updated_at = clock.now()
    changes: dict[str, list[object]] = {
        "escalation": [None, {"kind": kind, "level": level, "reason": reason}],
    }
    if level != level_before:
        changes["escalation_level"] = [level_before, level]
    if group_before is not incident.assignment_group:
        changes["assignment_group"] = [
            group_before.name if group_before else None,
            incident.assignment_group.name if incident.assignment_group else None,
        ]
    if manager_id is not None:
        manager = auth_service.load_user(session, manager_id)
        changes["manager"] = [None, manager.email]
    audit.record(
        session,
        actor,
        action="incident.escalate",
        object_type="incident",
        object_id=incident.id,
        changes=changes,
    )
    events.emit(
        session,
        IncidentEscalated(
            incident_id=incident.id,
            number=incident.number,
            kind=kind,
            level=level,
            team_id=team.id if team else None,
            manager_id=manager_id,
            reason=reason,
            actor_id=actor.user_id,
        ),
    )
    if group_before is not incident.assignment_group:
        transitions.assigned(session, actor, incident)
    session.flush()
    return incident


def on_threshold(
    session: Session, incident: Incident, metric: str, percent: int, settings: IncidentSettings | None = None
) -> None:
    """The SLA engine's threshold on the resolution clock: bring in the manager, or hand the incident
    to the next level, as configured. Nothing to escalate to (no next level, no manager) is no error."""
    settings = settings or get_incident_settings()
    if metric != "resolution" or incident.status in lifecycle.FINAL:
        return
    actor = auth_service.system_actor()
    why = f"SLA: {percent} % of the resolution time used"
    try:
        if settings.sla_escalate_functional_at is not None and percent == settings.sla_escalate_functional_at:
            _escalate(session, actor, incident, "functional", why, None)
        elif settings.sla_escalate_manager_at is not None and percent == settings.sla_escalate_manager_at:
            _escalate(session, actor, incident, "hierarchical", why, None)
    except (Conflict, IllegalTransition):
        return
