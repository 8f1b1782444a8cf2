"""The configurable incident category list: read, add, retire and restore categories."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vigil.core import audit, cache
from vigil.core.actor import Actor
from vigil.core.errors import Duplicate, Invalid, NotFound, check_version
from vigil.core.schemas import ListSort, SyncQuery
from vigil.incidents import policy
from vigil.incidents.models import IncidentCategory


def names(session: Session) -> list[str]:
    """Active category names in display order."""
    stmt = (
        select(IncidentCategory.name)
        .where(IncidentCategory.active.is_(True))
        .order_by(IncidentCategory.position)
    )
    return list(session.scalars(stmt))


#: Active category names, per process: every create checks its category against them (core/cache.py).
_ACTIVE = cache.Cached(lambda session: frozenset(names(session)))


def require_active(session: Session, name: str) -> str:
    """`name` if it is an active category, else Invalid listing the choices. A hit comes from the
    per-process cache; a miss is checked against the database before it is refused."""
    if name in _ACTIVE.get(session) or name in _ACTIVE.get(session, fresh=True):
        return name
    raise Invalid(f"unknown category {name!r}; choose one of: {', '.join(names(session))}", field="category")


def get(*, session: Session, actor: Actor, name: str) -> IncidentCategory:
    """One category, active or not: anyone signed in may read them."""
    found = session.get(IncidentCategory, name)
    if found is None:
        raise NotFound(f"category {name!r} not found")
    return found


def list_all(*, session: Session, actor: Actor, query: SyncQuery | None = None) -> list[IncidentCategory]:
    """Every category, active or not, in display order (or, `sort=updated_at`, oldest change first):
    anyone signed in may read them. The list is short by nature: one page."""
    stmt = select(IncidentCategory).order_by(IncidentCategory.position)
    if query is not None and query.updated_after is not None:
        stmt = stmt.where(IncidentCategory.updated_at >= query.updated_after)
    if query is not None and query.sort == ListSort.UPDATED_AT:
        stmt = stmt.order_by(None).order_by(IncidentCategory.updated_at, IncidentCategory.name)
    return list(session.scalars(stmt))


def add(*, session: Session, actor: Actor, name: str) -> IncidentCategory:
    policy.require(actor, "incident.manage_categories")
    if session.get(IncidentCategory, name) is not None:
        raise Duplicate(f"category {name!r} already exists; enable it if it was disabled")
    position = (session.scalar(select(func.max(IncidentCategory.position))) or 0) + 1
    category = IncidentCategory(name=name, active=True, position=position)
    session.add(category)
    session.flush()
    _ACTIVE.invalidate_after_commit(session)
    audit.record(
        session,
        actor,
        action="category.create",
        object_type="incident_category",
        object_id=name,
        changes={"name": [None, name]},
    )
    return category


def set_active(
    *,
    session: Session,
    actor: Actor,
    name: str,
    active: bool,
    expected_version: int | frozenset[int] | None = None,
) -> IncidentCategory:
    """Retire a category (existing incidents keep it; new ones cannot use it) or bring it back."""
    policy.require(actor, "incident.manage_categories")
    category = session.get(IncidentCategory, name)
    if category is None:
        raise NotFound(f"category {name!r} not found")
    check_version(f"category {name!r}", category.version, expected_version)
    if category.active != active:
        audit.record(
            session,
            actor,
            action="category.update",
            object_type="incident_category",
            object_id=name,
            changes={"active": [category.active, active]},
        )
        category.active = active
        session.flush()
        _ACTIVE.invalidate_after_commit(session)
    return category
