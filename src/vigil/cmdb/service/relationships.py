"""Typed, directed relationships between CIs: add, remove, and list them from either end."""

from __future__ import annotations

import uuid

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, aliased

from vigil.cmdb import policy
from vigil.cmdb.models import CIRelationship, ConfigurationItem
from vigil.cmdb.schemas import CIRef, Direction, RelationshipCreate, RelationshipRead
from vigil.cmdb.service.records import get
from vigil.cmdb.vocabulary import REL_LABELS, RelKind, impact_edge
from vigil.core import audit
from vigil.core.actor import Actor
from vigil.core.errors import Duplicate, Invalid, NotFound


def _words(kind: str, source: ConfigurationItem, target: ConfigurationItem) -> str:
    return f"{source.name} {REL_LABELS[RelKind(kind)][0]} {target.name}"


def _record(session: Session, actor: Actor, action: str, rel: CIRelationship, sentence: str) -> None:
    """One entry in each end's history, so both CIs' pages tell it."""
    old, new = (None, sentence) if action == "ci.relate" else (sentence, None)
    for ci_id in {rel.source_id, rel.target_id}:
        audit.record(
            session, actor, action=action, object_type="ci", object_id=ci_id,
            changes={"relationship": [old, new]},
        )  # fmt: skip


def add(
    session: Session, actor: Actor, source: ConfigurationItem, kind: str, target: ConfigurationItem
) -> CIRelationship:
    """`source` <kind> `target`, for callers that hold both CIs (imports); refuses a repeat and a loop."""
    policy.require(actor, "ci.relate")
    if source.id == target.id:
        raise Invalid(f"{source.name} cannot relate to itself", field="target")
    exists = session.scalar(
        select(CIRelationship.id).where(
            CIRelationship.source_id == source.id,
            CIRelationship.target_id == target.id,
            CIRelationship.kind == kind,
        )
    )
    if exists is not None:
        raise Duplicate(f"{_words(kind, source, target)} already", relationship_id=str(exists))
    impact_from, impact_to = impact_edge(kind, source.id, target.id)
    rel = CIRelationship(
        id=uuid.uuid4(),
        source_id=source.id,
        target_id=target.id,
        kind=kind,
        impact_from_id=impact_from,
        impact_to_id=impact_to,
    )
    session.add(rel)
    session.flush()
    _record(session, actor, "ci.relate", rel, _words(kind, source, target))
    return rel


def relate(*, session: Session, actor: Actor, ref: str, data: RelationshipCreate) -> CIRelationship:
    """This CI <kind> `data.target`, or `data.source` <kind> this CI."""
    ci = get(session=session, actor=actor, ref=ref)
    policy.require(actor, "ci.relate")
    if (data.target is None) == (data.source is None):
        raise Invalid("give either target (this CI relates to it) or source (it relates to this CI)")
    if data.target is not None:
        return add(session, actor, ci, data.kind, get(session=session, actor=actor, ref=data.target))
    assert data.source is not None
    return add(session, actor, get(session=session, actor=actor, ref=data.source), data.kind, ci)


def unrelate(*, session: Session, actor: Actor, ref: str, relationship_id: uuid.UUID) -> None:
    ci = get(session=session, actor=actor, ref=ref)
    policy.require(actor, "ci.relate")
    rel = session.scalars(
        select(CIRelationship).where(
            CIRelationship.id == relationship_id,
            or_(CIRelationship.source_id == ci.id, CIRelationship.target_id == ci.id),
        )
    ).one_or_none()
    if rel is None:
        raise NotFound(f"relationship {relationship_id} not found on {ci.name}")
    sentence = _words(rel.kind, rel.source, rel.target)
    _record(session, actor, "ci.unrelate", rel, sentence)
    session.delete(rel)
    session.flush()


def relationships(*, session: Session, actor: Actor, ref: str) -> list[RelationshipRead]:
    """The CI's relationships both ways, each read from this CI ("depends on" / "is depended on by"),
    outgoing first, then by kind and the other CI's name; CIs `actor` may not see are left out."""
    ci = get(session=session, actor=actor, ref=ref)
    other = aliased(ConfigurationItem)
    out: list[RelationshipRead] = []
    for direction, here, there in (
        (Direction.OUTGOING, CIRelationship.source_id, CIRelationship.target_id),
        (Direction.INCOMING, CIRelationship.target_id, CIRelationship.source_id),
    ):
        rows = session.execute(
            select(CIRelationship, other)
            .join(other, other.id == there)
            .where(here == ci.id, policy.visible(actor, other))
            .order_by(CIRelationship.kind, other.name, other.id)
        ).all()
        side = 0 if direction is Direction.OUTGOING else 1
        out += [
            RelationshipRead(
                id=rel.id,
                kind=RelKind(rel.kind),
                label=REL_LABELS[RelKind(rel.kind)][side],
                direction=direction,
                ci=CIRef.model_validate(found),
                created_at=rel.created_at,
            )
            for rel, found in rows
        ]
    return out
