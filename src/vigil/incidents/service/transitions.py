"""Apply one state-machine action to a loaded incident: rights, preconditions, timestamps, audit, event."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from vigil.auth import service as auth_service
from vigil.core import audit, clock, events, metrics
from vigil.core.actor import Actor
from vigil.core.errors import IllegalTransition, Invalid
from vigil.incidents import lifecycle, policy
from vigil.incidents.events import IncidentAssigned, IncidentTransitioned
from vigil.incidents.lifecycle import Action
from vigil.incidents.models import Incident, IncidentComment
from vigil.incidents.service import clocks
from vigil.incidents.service.present import snapshot
from vigil.incidents.settings import IncidentSettings


@dataclass(frozen=True)
class Step:
    """What an action may carry: a note for the requester, resolution details, a reopen reason."""

    note: str | None = None
    resolution_notes: str | None = None
    resolution_code: str | None = None
    root_cause: str | None = None
    reason: str | None = None


def apply(
    session: Session,
    actor: Actor,
    incident: Incident,
    action: Action,
    step: Step,
    *,
    settings: IncidentSettings,
    audited: bool = True,
) -> Incident:
    """Move `incident` by `action`. With `audited`, write the audit record here; else the caller does."""
    policy.require(actor, f"incident.{action}")
    before = incident.status
    to = lifecycle.target(before, action, incident.number)
    snap = snapshot(incident)
    now = clock.now()
    _PRECONDITIONS.get(action, _noop)(incident, step, settings)
    incident.status = to
    acknowledged = action in _ACKNOWLEDGING and incident.acknowledged_at is None
    if acknowledged:
        incident.acknowledged_at = now  # working or resolving an unacknowledged ticket acknowledges it
    took = action is Action.ACKNOWLEDGE and incident.assigned_to_id is None and actor.user_id is not None
    if took and actor.user_id is not None:
        incident.assigned_to = auth_service.load_user(session, actor.user_id)  # acknowledging takes ownership
    if action is Action.RESOLVE:
        incident.resolved_at = now
        incident.resolution_notes = (step.resolution_notes or "").strip()
        incident.resolution_code = step.resolution_code or "fixed"
        if step.root_cause:
            incident.root_cause = step.root_cause
    elif action is Action.REOPEN:
        incident.resolved_at = None
    elif action in (Action.CLOSE, Action.CANCEL):
        incident.closed_at = now
    clocks.moved(session, incident, action, before, now, settings, acknowledged=acknowledged)
    _measure(session, incident, action, acknowledged, now)
    text = step.reason if action is Action.REOPEN else step.note
    if text and text.strip():
        session.add(
            IncidentComment(
                incident_id=incident.id,
                author_id=actor.user_id,
                author_name=actor.display_name,
                body=f"{action.value.capitalize()}: {text.strip()}",
                internal=False,
                created_at=now,
            )
        )
    incident.updated_at = now
    if audited:
        audit.record(
            session,
            actor,
            action=f"incident.{action}",
            object_type="incident",
            object_id=incident.id,
            changes=audit.diff(snap, snapshot(incident)),
        )
    events.emit(
        session,
        IncidentTransitioned(
            incident_id=incident.id,
            number=incident.number,
            action=str(action),
            from_status=before,
            to_status=str(to),
        ),
    )
    if took:
        assigned(session, actor, incident)
    session.flush()  # one flush for the change, its comment, its audit record and its event
    return incident


def _measure(session: Session, incident: Incident, action: Action, acknowledged: bool, now: datetime) -> None:
    """Time to acknowledge and to resolve, from the incident's creation; counted once committed."""
    if acknowledged:
        metrics.acknowledged(session, clocks.RECORD, incident.priority, incident.created_at, now)
    if action is Action.RESOLVE:
        metrics.resolved(session, clocks.RECORD, incident.priority, incident.created_at, now)


def _noop(incident: Incident, step: Step, settings: IncidentSettings) -> None:
    return None


def _check_resolve(incident: Incident, step: Step, settings: IncidentSettings) -> None:
    if not (step.resolution_notes or "").strip():
        raise Invalid("resolving an incident requires resolution_notes", field="resolution_notes")


def _check_reopen(incident: Incident, step: Step, settings: IncidentSettings) -> None:
    if not (step.reason or "").strip():
        raise Invalid("reopening an incident requires a reason", field="reason")
    window = timedelta(hours=settings.reopen_window_hours)
    if incident.resolved_at is not None and clock.now() - incident.resolved_at > window:
        raise IllegalTransition(
            f"{incident.number} was resolved more than {settings.reopen_window_hours:g} hours ago, past the "
            "reopen window; open a new incident and link it instead",
            current_status=incident.status,
            allowed_actions=["close"],
        )


_ACKNOWLEDGING = frozenset({Action.ACKNOWLEDGE, Action.HOLD, Action.RESOLVE})
_PRECONDITIONS = {Action.RESOLVE: _check_resolve, Action.REOPEN: _check_reopen}


def assigned(session: Session, actor: Actor, incident: Incident) -> None:
    """Tell subscribers (notifications) who holds the incident now."""
    events.emit(
        session,
        IncidentAssigned(
            incident_id=incident.id,
            number=incident.number,
            assigned_to_id=_ref_id(incident, "assigned_to"),
            assignment_group_id=_ref_id(incident, "assignment_group"),
            actor_id=actor.user_id,
        ),
    )


def _ref_id(incident: Incident, relation: str) -> uuid.UUID | None:
    """A reference's id: from the object when one is set or loaded (its id column may not be
    flushed yet), else from the column (no query)."""
    loaded = sa_inspect(incident).dict
    if relation in loaded:
        return loaded[relation].id if loaded[relation] is not None else None
    value: uuid.UUID | None = getattr(incident, f"{relation}_id")
    return value
