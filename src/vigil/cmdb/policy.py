"""Who may see and keep configuration items: staff read all of them, requesters the services they pick
from, and only administrators and CMDB managers write."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, select, true

from vigil.auth.roles import STAFF, Role
from vigil.cmdb.models import CIClass, ConfigurationItem
from vigil.cmdb.vocabulary import Lifecycle
from vigil.core import permissions
from vigil.core.actor import Actor

#: Who reads every CI.
READERS = STAFF | {Role.CMDB_MANAGER}
#: Who writes the CMDB.
KEEPERS = frozenset({Role.ADMIN, Role.CMDB_MANAGER})

ACTIONS: dict[str, frozenset[str]] = {
    "ci.create": KEEPERS,
    "ci.update": KEEPERS,
    "ci.relate": KEEPERS,
    "ci.import": KEEPERS,
    "ci_class.write": KEEPERS,
    # It reaches out to another system with a token: administrators only.
    "ci.import_netbox": frozenset({Role.ADMIN}),
    "ci.read_history": READERS,
}


def can(actor: Actor, action: str) -> bool:
    return permissions.can(actor, ACTIONS, action)


def require(actor: Actor, action: str) -> None:
    permissions.require(actor, ACTIONS, action)


def sees_all(actor: Actor) -> bool:
    """Whether `visible(actor)` is true of every CI (staff and CMDB managers)."""
    return actor.has_any(READERS)


def visible(actor: Actor, ci: Any = ConfigurationItem) -> ColumnElement[bool]:
    """SQL predicate of the CIs `actor` may see. Requesters see the live CIs of the classes marked for them
    (business and technical services, applications): what they pick when they report a problem. `ci` is
    the entity the condition is about (an alias, when a query joins CIs twice)."""
    if sees_all(actor):
        return true()
    pickable = select(CIClass.key).where(CIClass.requester_visible.is_(True)).scalar_subquery()
    return and_(ci.ci_class.in_(pickable), ci.status != Lifecycle.RETIRED)
