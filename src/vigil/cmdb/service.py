"""Configuration items: create, list, and resolve references given by UUID or name."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vigil.cmdb import policy
from vigil.cmdb.models import ConfigurationItem
from vigil.cmdb.schemas import CICreate, CIQuery
from vigil.core import audit, clock, pagination
from vigil.core.actor import Actor
from vigil.core.errors import Duplicate, Invalid, NotFound
from vigil.core.pagination import Page
from vigil.core.refs import ref_clause


def create(*, session: Session, actor: Actor, data: CICreate) -> ConfigurationItem:
    policy.require(actor, "ci.create")
    if session.scalar(
        select(func.count()).select_from(ConfigurationItem).where(ConfigurationItem.name == data.name)
    ):
        raise Duplicate(f"a configuration item named {data.name!r} already exists")
    ci = ConfigurationItem(name=data.name, ci_type=data.ci_type, status=data.status, created_at=clock.now())
    session.add(ci)
    session.flush()
    audit.record(
        session,
        actor,
        action="ci.create",
        object_type="ci",
        object_id=ci.id,
        changes={"name": [None, ci.name], "ci_type": [None, ci.ci_type]},
    )
    return ci


def list_cis(
    *, session: Session, actor: Actor, q: str | None = None, limit: int = 200
) -> list[ConfigurationItem]:
    """CIs `actor` may see, by name, optionally those whose name contains `q`."""
    stmt = (
        select(ConfigurationItem).where(policy.visible(actor)).order_by(ConfigurationItem.name).limit(limit)
    )
    if q:
        stmt = stmt.where(ConfigurationItem.name.icontains(q, autoescape=True))
    return list(session.scalars(stmt))


def page_cis(*, session: Session, actor: Actor, query: CIQuery) -> Page[ConfigurationItem]:
    """A page of the CIs `actor` may see, by name, optionally those whose name contains `query.q`."""
    stmt = select(ConfigurationItem).where(policy.visible(actor))
    if query.q:
        stmt = stmt.where(ConfigurationItem.name.icontains(query.q, autoescape=True))
    return pagination.synced_page(
        session, stmt, query, column=ConfigurationItem.name, id_column=ConfigurationItem.id,
        updated_column=ConfigurationItem.updated_at, sort="cis:name",
    )  # fmt: skip


def get(*, session: Session, actor: Actor, ref: str) -> ConfigurationItem:
    """One CI by UUID or exact name, if `actor` may see it; otherwise a 404."""
    stmt = select(ConfigurationItem).where(
        ref_clause(ConfigurationItem.id, ConfigurationItem.name, ref), policy.visible(actor)
    )
    ci = session.scalars(stmt).one_or_none()
    if ci is None:
        raise NotFound(f"configuration item {ref!r} not found")
    return ci


def resolve_many(session: Session, refs: list[str], *, field: str = "cis") -> list[ConfigurationItem]:
    """Resolve CI references (UUID or exact name), keeping order and dropping repeats."""
    found: dict[uuid.UUID, ConfigurationItem] = {}
    for ref in refs:
        ci = resolve(session, ref, field=field)
        found.setdefault(ci.id, ci)
    return list(found.values())


def resolve(session: Session, ref: str, *, field: str = "ci") -> ConfigurationItem:
    """Find a CI by UUID or exact name; an unknown one is Invalid input naming the caller's `field`."""
    stmt = select(ConfigurationItem).where(ref_clause(ConfigurationItem.id, ConfigurationItem.name, ref))
    ci = session.scalars(stmt).one_or_none()
    if ci is None:
        raise Invalid(f"unknown configuration item {ref!r}", field=field)
    return ci
