"""Who may read and check the audit trail: administrators only, whatever the channel."""

from __future__ import annotations

from vigil.auth.roles import Role
from vigil.core.actor import Actor
from vigil.core.errors import Forbidden

ACTIONS: dict[str, frozenset[str]] = {
    # Reading covers search, the page and the CSV export: the trail names people and quotes old values.
    "audit.read": frozenset({Role.ADMIN}),
    "audit.verify": frozenset({Role.ADMIN}),
}


def can(actor: Actor, action: str) -> bool:
    return actor.has_any(ACTIONS[action])


def require(actor: Actor, action: str) -> None:
    if not can(actor, action):
        raise Forbidden(f"your role may not perform {action}")
