"""Who may read and check the audit trail: administrators only, whatever the channel."""

from __future__ import annotations

from vigil.auth.roles import Role
from vigil.core import permissions
from vigil.core.actor import Actor

ACTIONS: dict[str, frozenset[str]] = {
    # Reading covers search, the page and the CSV export: the trail names people and quotes old values.
    "audit.read": frozenset({Role.ADMIN}),
    "audit.verify": frozenset({Role.ADMIN}),
    "audit.anchor": frozenset({Role.ADMIN}),
}


def can(actor: Actor, action: str) -> bool:
    return permissions.can(actor, ACTIONS, action)


def require(actor: Actor, action: str) -> None:
    permissions.require(actor, ACTIONS, action)
