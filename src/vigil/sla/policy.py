"""Who may read and manage SLA calendars and policies: staff read them, administrators change them."""

from __future__ import annotations

from vigil.auth.roles import STAFF, Role
from vigil.core import permissions
from vigil.core.actor import Actor
from vigil.core.errors import Forbidden

ACTIONS: dict[str, frozenset[str]] = {
    "sla.read": frozenset(STAFF),
    "sla.manage": frozenset({Role.ADMIN}),
}

#: Why a refusal happened, in words people use.
REASONS = {
    "sla.read": "only staff read SLA calendars and policies",
    "sla.manage": "only administrators change SLA calendars and policies",
}


def can(actor: Actor, action: str) -> bool:
    return permissions.can(actor, ACTIONS, action)


def require(actor: Actor, action: str) -> None:
    """Forbidden (403, with the reason in words) unless `actor` may take `action`."""
    if not can(actor, action):
        raise Forbidden(REASONS[action])
