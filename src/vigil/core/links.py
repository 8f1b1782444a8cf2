"""Typed links between records of different domains (an incident caused by a problem, a change that
implements a fix), stored once and shown on both ends, always read through the target's own visibility.

Domains never import each other: each registers a `Target` (how to load its records visibly) and the link
kinds it takes part in; `links_of()` then returns only the links whose other end the actor may see.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Index, String, UniqueConstraint, Uuid, delete, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from vigil.core import audit, clock
from vigil.core.actor import Actor
from vigil.core.db import Base, UUIDPk
from vigil.core.errors import Duplicate, Invalid, NotFound


class RecordLink(UUIDPk, Base):
    """One directed link: `source` `kind` `target` (INC-000042 caused_by PRB-000007)."""

    __tablename__ = "record_link"
    __table_args__ = (
        UniqueConstraint("source_type", "source_id", "kind", "target_type", "target_id"),
        Index("ix_record_link_source", "source_type", "source_id"),
        Index("ix_record_link_target", "target_type", "target_id"),
    )

    source_type: Mapped[str] = mapped_column(String(40))
    source_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    kind: Mapped[str] = mapped_column(String(40))
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    created_at: Mapped[datetime]
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)


@dataclass(frozen=True)
class Ref:
    """What a link shows of the record at its other end."""

    type: str
    id: uuid.UUID
    number: str
    title: str


#: Given a session, an actor and record ids, the Refs of those the actor may see (one query).
Loader = Callable[[Session, Actor, Iterable[uuid.UUID]], dict[uuid.UUID, Ref]]
#: Given a session, an actor and a reference (UUID or number), the record's id if the actor may see it.
Resolver = Callable[[Session, Actor, str], uuid.UUID]


@dataclass(frozen=True)
class Target:
    record_type: str
    load: Loader
    resolve: Resolver


@dataclass(frozen=True)
class Kind:
    """A link kind and its name read from the other end ("caused_by" / "causes")."""

    name: str
    inverse: str
    source_types: frozenset[str]
    target_types: frozenset[str]


@dataclass(frozen=True)
class Link:
    """A link as seen from one record: the kind read from that side, and the visible other end."""

    id: uuid.UUID
    kind: str
    other: Ref
    created_at: datetime


_targets: dict[str, Target] = {}
_kinds: dict[str, Kind] = {}


def register_target(target: Target) -> None:
    _targets[target.record_type] = target


def register_kind(kind: Kind) -> None:
    _kinds[kind.name] = kind


def kind(name: str) -> Kind:
    if name not in _kinds:
        raise Invalid(f"unknown link kind {name!r}; known: {', '.join(sorted(_kinds))}", field="kind")
    return _kinds[name]


def kind_names(source_type: str) -> list[str]:
    """The link kinds a record of `source_type` can start (for forms and documentation)."""
    return sorted(name for name, spec in _kinds.items() if source_type in spec.source_types)


def _target(record_type: str) -> Target:
    if record_type not in _targets:
        raise Invalid(f"records of type {record_type!r} cannot be linked", field="target_type")
    return _targets[record_type]


def add(
    session: Session, actor: Actor, *, source: Ref, kind_name: str, target_type: str, target_ref: str
) -> RecordLink:
    """Link `source` (already loaded through its own visibility) to a target the actor may see."""
    spec = kind(kind_name)
    if source.type not in spec.source_types or target_type not in spec.target_types:
        raise Invalid(f"{source.type} records cannot be {kind_name} {target_type} records", field="kind")
    target = _target(target_type)
    target_id = target.resolve(session, actor, target_ref)
    if target_type == source.type and target_id == source.id:
        raise Invalid("a record cannot be linked to itself", field="target")
    stmt = select(RecordLink.id).where(
        RecordLink.source_type == source.type,
        RecordLink.source_id == source.id,
        RecordLink.kind == kind_name,
        RecordLink.target_type == target_type,
        RecordLink.target_id == target_id,
    )
    if session.scalar(stmt) is not None:
        raise Duplicate(f"{source.number} is already {kind_name} that {target_type}")
    link = RecordLink(
        source_type=source.type,
        source_id=source.id,
        kind=kind_name,
        target_type=target_type,
        target_id=target_id,
        created_at=clock.now(),
        created_by_id=actor.user_id,
    )
    session.add(link)
    session.flush()
    audit.record(
        session,
        actor,
        action="link.add",
        object_type=source.type,
        object_id=source.id,
        changes={kind_name: [None, target.load(session, actor, [target_id])[target_id].number]},
    )
    return link


def remove(session: Session, actor: Actor, *, source: Ref, link_id: uuid.UUID) -> None:
    """Remove a link of `source` (either end); a link the actor cannot see is a 404."""
    visible = {link.id: link for link in links_of(session, actor, source)}
    if link_id not in visible:
        raise NotFound("link not found")
    gone = visible[link_id]
    session.execute(delete(RecordLink).where(RecordLink.id == link_id))
    audit.record(
        session,
        actor,
        action="link.remove",
        object_type=source.type,
        object_id=source.id,
        changes={gone.kind: [gone.other.number, None]},
    )


def links_of(session: Session, actor: Actor, record: Ref) -> list[Link]:
    """Every link of `record`, from either end, whose other end `actor` may see; oldest first."""
    rows = list(
        session.scalars(
            select(RecordLink)
            .where(
                or_(
                    (RecordLink.source_type == record.type) & (RecordLink.source_id == record.id),
                    (RecordLink.target_type == record.type) & (RecordLink.target_id == record.id),
                )
            )
            .order_by(RecordLink.created_at, RecordLink.id)
        )
    )
    wanted: dict[str, set[uuid.UUID]] = {}
    for row in rows:
        other_type, other_id = _other_end(row, record)
        wanted.setdefault(other_type, set()).add(other_id)
    seen = {t: _targets[t].load(session, actor, ids) for t, ids in wanted.items() if t in _targets}
    out = []
    for row in rows:
        other_type, other_id = _other_end(row, record)
        other = seen.get(other_type, {}).get(other_id)
        if other is None:
            continue  # the other end is invisible to this actor: the link is not shown at all
        outgoing = row.source_type == record.type and row.source_id == record.id
        name = row.kind if outgoing else _kinds[row.kind].inverse if row.kind in _kinds else row.kind
        out.append(Link(id=row.id, kind=name, other=other, created_at=row.created_at))
    return out


def _other_end(row: RecordLink, record: Ref) -> tuple[str, uuid.UUID]:
    if row.source_type == record.type and row.source_id == record.id:
        return row.target_type, row.target_id
    return row.source_type, row.source_id
