"""Who may see and do what with alert intake: staff read and promote alerts, administrators run
integrations and their deliveries. Monitoring systems authenticate as an integration, never a user."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, true

from vigil.auth.roles import STAFF, Role
from vigil.core import permissions
from vigil.core.actor import Actor

ADMIN = frozenset({Role.ADMIN})

ACTIONS: dict[str, frozenset[str]] = {
    "alert.read": STAFF,
    "alert.promote": STAFF,
    "integration.manage": ADMIN,
    "delivery.manage": ADMIN,
}


def can(actor: Actor, action: str) -> bool:
    return permissions.can(actor, ACTIONS, action)


def require(actor: Actor, action: str) -> None:
    permissions.require(actor, ACTIONS, action)


def visible(actor: Actor) -> ColumnElement[bool]:
    """Alerts are operations data: every member of staff sees them all, requesters none."""
    return true() if actor.has_any(STAFF) else false()
