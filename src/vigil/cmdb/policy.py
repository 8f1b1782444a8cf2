"""Who may see and register configuration items."""

from __future__ import annotations

from sqlalchemy import ColumnElement, true

from vigil.auth.roles import STAFF
from vigil.core import permissions
from vigil.core.actor import Actor

ACTIONS: dict[str, frozenset[str]] = {
    "ci.create": STAFF,
}


def can(actor: Actor, action: str) -> bool:
    return permissions.can(actor, ACTIONS, action)


def require(actor: Actor, action: str) -> None:
    permissions.require(actor, ACTIONS, action)


def visible(actor: Actor) -> ColumnElement[bool]:
    """Every signed-in user reads CIs: requesters pick the service they report a problem with."""
    return true()
