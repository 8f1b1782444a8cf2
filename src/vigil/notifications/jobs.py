"""Event handlers that fill inboxes: who is told of an assignment, a comment, an SLA threshold or an
escalation. Each runs once per event (a durable job committed with its work); they read only ids from
the payload and load the rest, so what they say is what the records hold when they run."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.auth.models import Team, team_member
from vigil.core.jobs.queue import job
from vigil.incidents.models import Incident, IncidentComment
from vigil.notifications import service
from vigil.notifications.models import Kind, Notification
from vigil.notifications.service import Record

ASSIGNED = "notifications.incident_assigned"
COMMENTED = "notifications.incident_commented"
SLA_THRESHOLD = "notifications.sla_threshold"
ESCALATED = "notifications.incident_escalated"
#: How much of a comment the notification quotes.
PREVIEW = 200


def _id(payload: dict[str, Any], key: str) -> uuid.UUID | None:
    value = payload.get(key)
    return uuid.UUID(str(value)) if value not in (None, "", "None") else None


def _members(session: Session, team_id: uuid.UUID | None) -> list[uuid.UUID]:
    if team_id is None:
        return []
    return list(session.scalars(select(team_member.c.user_id).where(team_member.c.team_id == team_id)))


def _team(session: Session, team_id: uuid.UUID | None) -> Team | None:
    return session.get(Team, team_id) if team_id is not None else None


def _tell(
    session: Session,
    incident: Incident,
    users: Iterable[uuid.UUID | None],
    kind: Kind,
    title: str,
    *,
    body: str | None = None,
    actor_id: uuid.UUID | None = None,
) -> None:
    service.deliver(
        session=session,
        user_ids=users,
        kind=kind,
        title=title,
        body=incident.title if body is None else body,
        link=f"/incidents/{incident.number}",
        record=Record("incident", incident.id),
        actor_id=actor_id,
    )


def _incident(session: Session, payload: dict[str, Any], key: str = "incident_id") -> Incident | None:
    incident_id = _id(payload, key)
    return session.get(Incident, incident_id) if incident_id is not None else None


@job(ASSIGNED)
def incident_assigned(session: Session, payload: dict[str, Any]) -> None:
    """The new assignee is told; with a group and no assignee, the group's members (its queue). An
    assignment already superseded when the job runs is not told (nobody is sent to a ticket they no
    longer hold)."""
    incident = _incident(session, payload)
    if incident is None:
        return
    actor_id = _id(payload, "actor_id")
    assignee, group_id = _id(payload, "assigned_to_id"), _id(payload, "assignment_group_id")
    if (incident.assigned_to_id, incident.assignment_group_id) != (assignee, group_id):
        return  # changed again since: that change has an event, and its notifications, of its own
    if assignee is not None:
        _tell(session, incident, [assignee], Kind.ASSIGNED, f"{incident.number} was assigned to you",
              actor_id=actor_id)  # fmt: skip
        return
    team = _team(session, group_id)
    if team is not None:
        # A queue notice adds nothing for a member already holding an unread one about the incident (a
        # functional escalation, emitted just before the group change, has told them).
        told = set(
            session.scalars(
                select(Notification.user_id).where(
                    Notification.record_type == "incident",
                    Notification.record_id == incident.id,
                    Notification.read_at.is_(None),
                )
            )
        )
        members = [m for m in _members(session, team.id) if m not in told]
        title = f"{incident.number} is in {team.name}'s queue"
        _tell(session, incident, members, Kind.TEAM_QUEUE, title, actor_id=actor_id)


@job(COMMENTED)
def incident_commented(session: Session, payload: dict[str, Any]) -> None:
    """The assignee and (for a public comment, never a work note) the requester; not the author."""
    incident = _incident(session, payload)
    comment_id = _id(payload, "comment_id")
    comment = session.get(IncidentComment, comment_id) if comment_id is not None else None
    if incident is None or comment is None:
        return
    internal = bool(payload.get("internal", comment.internal)) or comment.internal
    users = [incident.assigned_to_id] + ([] if internal else [incident.requester_id])
    what = "work note" if internal else "comment"
    body = comment.body if len(comment.body) <= PREVIEW else comment.body[: PREVIEW - 1] + "…"
    title = f"{comment.author_name} added a {what} on {incident.number}"
    _tell(session, incident, users, Kind.COMMENTED, title, body=body, actor_id=_id(payload, "author_id"))


@job(SLA_THRESHOLD)
def sla_threshold(session: Session, payload: dict[str, Any]) -> None:
    """A warning goes to the assignee, or the group's members when nobody is assigned; a breach also
    to the group's manager."""
    if payload.get("record_type") != "incident":
        return
    incident = _incident(session, payload, "record_id")
    if incident is None:
        return
    percent, metric = int(payload["percent"]), str(payload.get("metric", ""))
    breach = percent >= 100
    group = _team(session, incident.assignment_group_id)
    users: list[uuid.UUID | None] = [incident.assigned_to_id]
    if incident.assigned_to_id is None:
        users = [*_members(session, incident.assignment_group_id)]
    if breach and group is not None:
        users.append(group.manager_id)
    if breach:
        title = f"{incident.number} breached its {metric} SLA"
    else:
        title = f"{incident.number} has used {percent}% of its {metric} SLA"
    _tell(session, incident, users, Kind.SLA_BREACH if breach else Kind.SLA_WARNING, title)


@job(ESCALATED)
def incident_escalated(session: Session, payload: dict[str, Any]) -> None:
    """Functional escalation tells the new team's members; hierarchical, the manager."""
    incident = _incident(session, payload)
    if incident is None:
        return
    kind, reason = str(payload.get("kind", "")), str(payload.get("reason") or "")
    level = payload.get("level")
    if kind == "hierarchical":
        users = [_id(payload, "manager_id")]
        title = f"{incident.number} was escalated to you (level {level})"
    else:
        team = _team(session, _id(payload, "team_id"))
        if team is None:
            return
        users = list(_members(session, team.id))
        title = f"{incident.number} was escalated to {team.name} (level {level})"
    body = f"{incident.title}: {reason}" if reason else incident.title
    _tell(session, incident, users, Kind.ESCALATED, title, body=body, actor_id=_id(payload, "actor_id"))
