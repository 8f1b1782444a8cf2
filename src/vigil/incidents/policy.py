"""Who may see and do what with incidents: one visibility predicate and one action table."""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_, true

from vigil.auth.roles import SEE_ALL, STAFF, Role
from vigil.core import permissions, watchers
from vigil.core.actor import Actor
from vigil.core.db import NoIndex
from vigil.incidents.models import Incident

EVERYONE = frozenset(Role)

ACTIONS: dict[str, frozenset[str]] = {
    "incident.create": EVERYONE,
    "incident.create_for_other": STAFF,
    "incident.set_priority": STAFF,
    "incident.assign": STAFF,
    "incident.update": STAFF,
    "incident.acknowledge": STAFF,
    "incident.hold": STAFF,
    "incident.resume": STAFF,
    "incident.resolve": STAFF,
    "incident.escalate": STAFF,
    "incident.manage_escalation": frozenset({Role.ADMIN}),
    "incident.close": EVERYONE,
    "incident.reopen": EVERYONE,
    "incident.cancel": EVERYONE,
    "incident.comment": EVERYONE,
    "incident.work_note": STAFF,
    "incident.read_work_notes": STAFF,
    "incident.manage_categories": frozenset({Role.ADMIN}),
    "incident.watch": EVERYONE,
    "incident.manage_watchers": STAFF,
    "incident.link": STAFF,
    "incident.attach": EVERYONE,
    "incident.delete_attachment": STAFF,
}


def can(actor: Actor, action: str) -> bool:
    return permissions.can(actor, ACTIONS, action)


def require(actor: Actor, action: str) -> None:
    permissions.require(actor, ACTIONS, action)


def visible(actor: Actor) -> ColumnElement[bool]:
    """SQL predicate of the incidents `actor` may see; used by every load, list and search."""
    if actor.has_any(SEE_ALL):
        return true()
    own = Incident.requester_id == actor.user_id
    # A watcher (CC) follows the incident: they see it like its requester does.
    watching = watchers.watched_by("incident", Incident.id, actor.user_id)
    if not actor.has_any(STAFF):
        return or_(own, watching)
    # Agents work their teams' queues, what is assigned to them, and the untriaged (no group) queue.
    # NoIndex: on SQLite this OR is better read off the newest rows than looked up per column.
    requester, assignee, group = (
        NoIndex(c) for c in (Incident.requester_id, Incident.assigned_to_id, Incident.assignment_group_id)
    )
    clauses = [requester == actor.user_id, assignee == actor.user_id, group.is_(None), watching]
    if actor.team_ids:
        clauses.append(group.in_(actor.team_ids))
    return or_(*clauses)
