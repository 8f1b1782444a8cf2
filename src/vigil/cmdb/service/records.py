"""Configuration items: register, change, retire, list, find by id or name, and their history."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import String, cast, select
from sqlalchemy.orm import Session, joinedload, selectinload

from vigil.auth import service as auth_service
from vigil.cmdb import policy, work
from vigil.cmdb.models import CIClass, CIExternalId, ConfigurationItem
from vigil.cmdb.schemas import CICreate, CIQuery, CIUpdate, ExternalId, HistoryEntry, HistoryPage
from vigil.cmdb.service.classes import require_class, validate_attributes
from vigil.cmdb.vocabulary import Lifecycle
from vigil.core import audit, clock, pagination
from vigil.core.actor import Actor
from vigil.core.audit import AuditRecord
from vigil.core.errors import Conflict, Duplicate, Invalid, NotFound, check_version
from vigil.core.pagination import Page
from vigil.core.refs import as_uuid

#: What a CI read needs, loaded with the CIs (no query per CI).
LOAD_OPTIONS = (joinedload(ConfigurationItem.owner_team), selectinload(ConfigurationItem.external_ids))


def snapshot(ci: ConfigurationItem) -> dict[str, Any]:
    """The audited fields, with references as people read them."""
    return {
        "name": ci.name,
        "ci_class": ci.ci_class,
        "environment": ci.environment,
        "status": ci.status,
        "criticality": ci.criticality,
        "owner_team": ci.owner_team.name if ci.owner_team else None,
        "description": ci.description,
        "attributes": ci.attributes,
        "tags": list(ci.tags),
        "external_ids": sorted(f"{e.source}:{e.external_id}" for e in ci.external_ids),
    }


def _check_unique(session: Session, ci: ConfigurationItem, name: str, environment: str) -> None:
    """Duplicate unless `ci` may be called `name` in `environment` (unique per class and environment)."""
    clash = session.scalar(
        select(ConfigurationItem.id).where(
            ConfigurationItem.ci_class == ci.ci_class,
            ConfigurationItem.environment == environment,
            ConfigurationItem.name == name,
            ConfigurationItem.id != ci.id,
        )
    )
    if clash is not None:
        raise Duplicate(f"a {ci.ci_class} named {name!r} already exists in {environment}", ci_id=str(clash))


def _set_external_ids(session: Session, ci: ConfigurationItem, wanted: list[ExternalId]) -> None:
    keys = {(e.source, e.external_id) for e in wanted}
    for e in wanted:
        holder = session.scalar(
            select(ConfigurationItem.name)
            .join(CIExternalId, CIExternalId.ci_id == ConfigurationItem.id)
            .where(CIExternalId.source == e.source, CIExternalId.external_id == e.external_id)
            .where(ConfigurationItem.id != ci.id)
        )
        if holder is not None:
            raise Duplicate(f"{e.source} id {e.external_id!r} already belongs to {holder!r}")
    ci.external_ids = [x for x in ci.external_ids if (x.source, x.external_id) in keys] + [
        CIExternalId(source=s, external_id=i)
        for s, i in sorted(keys - {(x.source, x.external_id) for x in ci.external_ids})
    ]


def create(*, session: Session, actor: Actor, data: CICreate) -> ConfigurationItem:
    policy.require(actor, "ci.create")
    ci_class = require_class(session, data.ci_class)
    validate_attributes(ci_class, data.attributes)
    ci = ConfigurationItem(
        id=uuid.uuid4(),
        name=data.name,
        ci_class=ci_class.key,
        environment=data.environment,
        status=data.status,
        criticality=data.criticality,
        owner_team=auth_service.resolve_team(session, data.owner_team, field="owner_team")
        if data.owner_team
        else None,
        description=data.description,
        attributes=data.attributes,
        tags=sorted(set(data.tags)),
        created_at=clock.now(),
    )
    with session.no_autoflush:
        _check_unique(session, ci, ci.name, ci.environment)
        _set_external_ids(session, ci, data.external_ids)
    session.add(ci)
    session.flush()
    changes = audit.diff({}, {k: v for k, v in snapshot(ci).items() if v not in (None, "", [], {})})
    audit.record(session, actor, action="ci.create", object_type="ci", object_id=ci.id, changes=changes)
    return ci


def update(
    *,
    session: Session,
    actor: Actor,
    ref: str,
    data: CIUpdate,
    expected_version: int | frozenset[int] | None = None,
) -> ConfigurationItem:
    """Apply the fields present in `data`. Retiring a CI with open work on it is a 409 naming that work,
    unless `data.confirm`."""
    ci = get(session=session, actor=actor, ref=ref)
    policy.require(actor, "ci.update")
    check_version(f"CI {ci.name}", ci.version, expected_version)
    before = snapshot(ci)
    given = data.model_fields_set - {"confirm", "version"}
    with session.no_autoflush:  # every check before the first change, so a refusal leaves the CI as it was
        if data.status == Lifecycle.RETIRED and ci.status != Lifecycle.RETIRED and not data.confirm:
            _refuse_retiring_with_open_work(session, actor, ci)
        if "name" in given or "environment" in given:
            _check_unique(session, ci, data.name or ci.name, data.environment or ci.environment)
        if "attributes" in given:
            validate_attributes(require_class(session, ci.ci_class), data.attributes or {})
        _apply(session, ci, data, given)
    changes = audit.diff(before, snapshot(ci))
    if not changes:
        return ci
    ci.updated_at = clock.now()
    session.flush()
    audit.record(session, actor, action="ci.update", object_type="ci", object_id=ci.id, changes=changes)
    return ci


def _apply(session: Session, ci: ConfigurationItem, data: CIUpdate, given: set[str]) -> None:
    for name in ("name", "environment", "status", "criticality"):
        if name in given:
            value = getattr(data, name)
            if value is None:
                raise Invalid(f"{name} cannot be empty", field=name)
            setattr(ci, name, value)
    if "description" in given:
        ci.description = data.description or ""
    if "tags" in given:
        ci.tags = sorted(set(data.tags or []))
    if "owner_team" in given:
        ci.owner_team = (
            auth_service.resolve_team(session, data.owner_team, field="owner_team")
            if data.owner_team
            else None
        )
    if "attributes" in given:
        ci.attributes = data.attributes or {}
    if "external_ids" in given:
        _set_external_ids(session, ci, data.external_ids or [])


def _refuse_retiring_with_open_work(session: Session, actor: Actor, ci: ConfigurationItem) -> None:
    items = work.open_work(session, actor, [ci.id])
    if items:
        listed = ", ".join(f"{item.number} ({item.status})" for item in items[:10])
        more = f" and {len(items) - 10} more" if len(items) > 10 else ""
        raise Conflict(
            f"{ci.name} has open work on it: {listed}{more}; retire it anyway with confirm: true",
            open_work=[item.number for item in items],
        )


def _filtered(stmt: Any, session: Session, query: CIQuery) -> Any:
    if query.q:
        stmt = stmt.where(ConfigurationItem.name.icontains(query.q, autoescape=True))
    if query.ci_class:
        stmt = stmt.where(ConfigurationItem.ci_class == query.ci_class.strip().lower())
    if query.environment:
        stmt = stmt.where(ConfigurationItem.environment == query.environment)
    if query.status:
        stmt = stmt.where(ConfigurationItem.status == query.status)
    if query.owner_team:
        team = auth_service.resolve_team(session, query.owner_team, field="owner_team")
        stmt = stmt.where(ConfigurationItem.owner_team_id == team.id)
    if query.tag:
        # Tags are a JSON list; an element is a quoted string in its text, so this matches whole tags only.
        stmt = stmt.where(
            cast(ConfigurationItem.tags, String).contains(json.dumps(query.tag), autoescape=True)
        )
    return stmt


def page_cis(*, session: Session, actor: Actor, query: CIQuery) -> Page[ConfigurationItem]:
    """A page of the CIs `actor` may see, by name, narrowed by the query's filters."""
    stmt = _filtered(
        select(ConfigurationItem).where(policy.visible(actor)).options(*LOAD_OPTIONS), session, query
    )
    return pagination.synced_page(
        session, stmt, query, column=ConfigurationItem.name, id_column=ConfigurationItem.id,
        updated_column=ConfigurationItem.updated_at, sort="cis:name",
    )  # fmt: skip


def list_cis(
    *, session: Session, actor: Actor, q: str | None = None, limit: int = 200
) -> list[ConfigurationItem]:
    """CIs `actor` may see, by name, optionally those whose name contains `q` (pickers, forms)."""
    stmt = select(ConfigurationItem).where(policy.visible(actor))
    if q:
        stmt = stmt.where(ConfigurationItem.name.icontains(q, autoescape=True))
    return list(session.scalars(stmt.order_by(ConfigurationItem.name, ConfigurationItem.id).limit(limit)))


def _matching(session: Session, ref: str, *extra: Any) -> list[ConfigurationItem]:
    parsed = as_uuid(ref)
    key = ConfigurationItem.id == parsed if parsed is not None else ConfigurationItem.name == str(ref).strip()
    stmt = (
        select(ConfigurationItem)
        .where(key, *extra)
        .options(*LOAD_OPTIONS)
        .order_by(ConfigurationItem.environment)
        .limit(20)
    )
    return list(session.scalars(stmt))


def _ambiguous(ref: str, found: list[ConfigurationItem]) -> str:
    which = ", ".join(f"{ci.ci_class} in {ci.environment} ({ci.id})" for ci in found)
    return f"{len(found)} configuration items are named {ref!r}: {which}; give the id of one"


def get(*, session: Session, actor: Actor, ref: str) -> ConfigurationItem:
    """One CI by UUID or exact name, if `actor` may see it; otherwise a 404. A name several CIs share
    (in different classes or environments) is a 409 listing them."""
    found = _matching(session, ref, policy.visible(actor))
    if not found:
        raise NotFound(f"configuration item {ref!r} not found")
    if len(found) > 1:
        raise Conflict(_ambiguous(ref, found))
    return found[0]


def resolve_many(
    session: Session, refs: list[str], *, field: str = "cis", actor: Actor | None = None
) -> list[ConfigurationItem]:
    """Resolve CI references (UUID or exact name), keeping order and dropping repeats."""
    found: dict[uuid.UUID, ConfigurationItem] = {}
    for ref in refs:
        ci = resolve(session, ref, field=field, actor=actor)
        found.setdefault(ci.id, ci)
    return list(found.values())


def resolve(
    session: Session, ref: str, *, field: str = "ci", actor: Actor | None = None
) -> ConfigurationItem:
    """Find a CI by UUID or exact name; an unknown or ambiguous one is Invalid input naming `field`.
    With `actor`, only among the CIs they may see (one they may not is unknown, as it would be on a list)."""
    found = _matching(session, ref, *([policy.visible(actor)] if actor is not None else []))
    if not found:
        raise Invalid(f"unknown configuration item {ref!r}", field=field)
    if len(found) > 1:
        live = [ci for ci in found if ci.status != Lifecycle.RETIRED]
        if len(live) == 1:
            return live[0]
        raise Invalid(_ambiguous(ref, found), field=field)
    return found[0]


def history(*, session: Session, actor: Actor, ref: str) -> list[AuditRecord]:
    """Every recorded change of the CI, oldest first."""
    ci = get(session=session, actor=actor, ref=ref)
    policy.require(actor, "ci.read_history")
    return audit.for_object(session, "ci", ci.id)


def history_page(*, session: Session, actor: Actor, ref: str) -> HistoryPage:
    """The CI's history as the API and the library give it."""
    rows = history(session=session, actor=actor, ref=ref)
    return HistoryPage(
        items=[
            HistoryEntry(at=r.occurred_at, actor=r.actor_name, action=r.action, changes=r.changes)
            for r in rows
        ]
    )


def classes_by_key(session: Session) -> dict[str, CIClass]:
    return {c.key: c for c in session.scalars(select(CIClass))}


def require_visible(session: Session, actor: Actor, ci_id: uuid.UUID) -> ConfigurationItem:
    ci = session.scalars(
        select(ConfigurationItem).where(ConfigurationItem.id == ci_id, policy.visible(actor))
    ).one_or_none()
    if ci is None:
        raise NotFound(f"configuration item {ci_id} not found")
    return ci
