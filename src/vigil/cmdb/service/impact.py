"""Impact analysis in the database: the complete walk (`reach.walk`: breadth first, each CI once, at its
shortest distance, with the CI it was reached from), never the graph loaded into Python.

An answer lists every service reached (what an outage takes down: from a core switch they lie 6-10
steps up) and the nearest other CIs, at most MAX_ITEMS, with `reached` counting them all and
`truncated` saying when some were left out. Each listed CI's shortest path is read back from the walk's
parents, a level at a time, for the CIs on those paths only.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from vigil.cmdb import policy, work
from vigil.cmdb.models import CIClass, ConfigurationItem
from vigil.cmdb.schemas import CIRef, ImpactDirection, ImpactItem, ImpactQuery, ImpactRead, PathStep
from vigil.cmdb.service import reach
from vigil.cmdb.service.records import get
from vigil.cmdb.vocabulary import REL_LABELS, SOURCE_TO_TARGET, Lifecycle, RelKind
from vigil.core.actor import Actor

#: The most CIs other than services one answer carries (the nearest first); `truncated` says when there
#: were more. Services are all listed, up to as many again.
MAX_ITEMS = 2000
#: The most services stored on one incident (the nearest first).
MAX_SERVICES = 200

#: What an answer shows of each CI it reaches (CIRef and criticality), read as columns, not entities.
_REF_COLUMNS = (
    ConfigurationItem.id,
    ConfigurationItem.name,
    ConfigurationItem.ci_class,
    ConfigurationItem.environment,
    ConfigurationItem.status,
    ConfigurationItem.criticality,
)


@dataclass(frozen=True)
class _Row:
    ci: Any  # a row of _REF_COLUMNS
    distance: int
    parent: uuid.UUID | None
    is_service: bool


def _select(actor: Actor, walked: Table) -> Any:
    return (
        select(*_REF_COLUMNS, walked.c.depth, walked.c.parent, CIClass.is_service)
        .join(walked, walked.c.node == ConfigurationItem.id)
        .join(CIClass, CIClass.key == ConfigurationItem.ci_class)
        .where(walked.c.depth > 0, policy.visible(actor))
    )


def _rows(session: Session, stmt: Any) -> list[_Row]:
    return [_Row(r, r.depth, r.parent, bool(r.is_service)) for r in session.execute(stmt)]


def _nearest(session: Session, actor: Actor, walked: Table, levels: list[tuple[int, int]]) -> list[_Row]:
    """The nearest MAX_ITEMS + 1 CIs other than services, by distance and name. Only the levels that can
    hold them are joined and sorted (from a core switch, 3,000 of 95,000 CIs); an actor who cannot see
    enough of them gets the whole walk read."""
    order = (walked.c.depth, ConfigurationItem.name, ConfigurationItem.id)
    stmt = _select(actor, walked).where(CIClass.is_service.is_(False)).order_by(*order).limit(MAX_ITEMS + 1)
    total, upto = 0, None
    for depth, count in levels:
        total += count
        if total > MAX_ITEMS:
            upto = depth
            break
    if upto is not None:
        rows = _rows(session, stmt.where(walked.c.depth <= upto))
        if len(rows) > MAX_ITEMS:
            return rows
    return _rows(session, stmt)


def _services(session: Session, actor: Actor, walked: Table) -> list[_Row]:
    order = (walked.c.depth, ConfigurationItem.name, ConfigurationItem.id)
    stmt = _select(actor, walked).where(CIClass.is_service.is_(True)).order_by(*order).limit(MAX_ITEMS + 1)
    return _rows(session, stmt)


def _ancestors(session: Session, actor: Actor, walked: Table, rows: list[_Row]) -> dict[uuid.UUID, _Row]:
    """`rows` and every CI on their paths back to the origin that `actor` may see, by id: the parents
    not yet known are read a level at a time (at most `depth` reads, of the path CIs only)."""
    known = {row.ci.id: row for row in rows}
    wanted = {row.parent for row in rows if row.parent is not None} - known.keys()
    while wanted:
        found = _rows(session, _select(actor, walked).where(walked.c.node.in_(sorted(wanted))))
        known.update((row.ci.id, row) for row in found)
        wanted = {row.parent for row in found if row.parent is not None} - known.keys()
    return known


def impact(*, session: Session, actor: Actor, ref: str, query: ImpactQuery) -> ImpactRead:
    """The CIs a failure of `ref` reaches (upstream) or that it relies on (downstream), within
    `query.depth` steps, each with its distance and a shortest path: every service, and the nearest
    others."""
    origin = get(session=session, actor=actor, ref=ref)
    walked = reach.walk(session, [origin.id], query.direction, query.depth)
    levels = [
        (int(d), int(n))
        for d, n in session.execute(
            select(walked.c.depth, func.count())
            .where(walked.c.depth > 0)
            .group_by(walked.c.depth)
            .order_by(walked.c.depth)
        )
    ]
    others = _nearest(session, actor, walked, levels)
    services = _services(session, actor, walked)
    truncated = len(others) > MAX_ITEMS or len(services) > MAX_ITEMS
    listed = sorted(
        others[:MAX_ITEMS] + services[:MAX_ITEMS], key=lambda r: (r.distance, r.ci.name, str(r.ci.id))
    )
    known = _ancestors(session, actor, walked, listed)
    steps = _steps(session, known, query.direction)
    items = [
        ImpactItem.model_construct(
            ci=steps[row.ci.id].ci,
            criticality=row.ci.criticality,
            is_service=row.is_service,
            distance=row.distance,
            path=_path(row, known, steps),
        )
        for row in listed
    ]
    return ImpactRead(
        origin=CIRef.model_validate(origin),
        direction=query.direction,
        depth=query.depth,
        items=items,
        services=[item for item in items if item.is_service],
        reached=_reached(levels, actor, session, walked),
        truncated=truncated,
    )


def _reached(levels: list[tuple[int, int]], actor: Actor, session: Session, walked: Table) -> int:
    """How many CIs the walk reached that `actor` may see."""
    if policy.sees_all(actor):
        return sum(count for _, count in levels)
    return int(session.scalar(select(func.count()).select_from(_select(actor, walked).subquery())) or 0)


def _steps(
    session: Session, known: dict[uuid.UUID, _Row], direction: ImpactDirection
) -> dict[uuid.UUID, PathStep]:
    """Each known CI's step: its reference, and the relationship it was reached by, worded from its parent.
    Built from values already validated: an answer of thousands of items with paths of up to 10 steps
    spent most of its time validating them again."""
    # Every known CI lies beyond the origin (distance > 0), so each has a parent.
    kinds = reach.edge_kinds(session, list(known), direction)
    steps = {}
    for i in known:
        kind = RelKind(kinds[i])
        ci = CIRef.model_validate(known[i].ci)
        steps[i] = PathStep.model_construct(ci=ci, kind=kind, label=_label(kind, direction))
    return steps


def _label(kind: RelKind, direction: ImpactDirection) -> str:
    """The relationship worded from the step before: walking upstream from a host, "hosts" the database;
    downstream from an application, "runs on" the host."""
    forward, inverse = REL_LABELS[kind]
    along = kind in SOURCE_TO_TARGET  # the impact edge runs source -> target
    from_source = along if direction is ImpactDirection.UPSTREAM else not along
    return forward if from_source else inverse


def _path(row: _Row, known: dict[uuid.UUID, _Row], steps: dict[uuid.UUID, PathStep]) -> list[PathStep]:
    """From the origin (left out) to `row`, following each CI's parent; a parent the actor may not see
    ends the path there (it is still a true suffix of the way)."""
    path: list[PathStep] = []
    here: _Row | None = row
    while here is not None:
        path.append(steps[here.ci.id])
        here = known.get(here.parent) if here.parent is not None else None
    return list(reversed(path))


@dataclass(frozen=True)
class ImpactedService:
    ci: ConfigurationItem
    distance: int


def impacted_services(session: Session, ci_ids: list[uuid.UUID], *, depth: int = 10) -> list[ImpactedService]:
    """The business and technical services a failure of any of `ci_ids` reaches (a service among them at
    distance 0), nearest first, at most MAX_SERVICES. Not scoped to an actor: what an incident impacts is
    a fact of the CMDB."""
    if not ci_ids:
        return []
    walked = reach.walk(session, ci_ids, ImpactDirection.UPSTREAM, depth)
    stmt = (
        select(ConfigurationItem, walked.c.depth)
        .join(walked, walked.c.node == ConfigurationItem.id)
        .join(CIClass, CIClass.key == ConfigurationItem.ci_class)
        .where(CIClass.is_service.is_(True), ConfigurationItem.status != Lifecycle.RETIRED)
        .order_by(walked.c.depth, ConfigurationItem.criticality, ConfigurationItem.name)
        .limit(MAX_SERVICES)
    )
    return [ImpactedService(ci, d) for ci, d in session.execute(stmt)]


def open_work_below(*, session: Session, actor: Actor, ref: str) -> list[work.WorkItem]:
    """Open work on the CI and on everything it relies on (a failing database behind this application),
    as far as `actor` may see it."""
    ci = get(session=session, actor=actor, ref=ref)
    walked = reach.walk(session, [ci.id], ImpactDirection.DOWNSTREAM, 10)
    return work.open_work(session, actor, select(walked.c.node))
