"""Impact analysis in the database: one recursive CTE over the relationships' impact edges (SQLite and
PostgreSQL alike), never the graph loaded into Python.

The walk yields (CI, distance, parent, kind) rows breadth first: its start, then every edge out of the
rows of the step before, stopping at the requested depth. UNION drops a row already produced and the
depth bounds it, so a cycle can neither repeat work without end nor hang the query. A CI reached by ways
of several lengths is yielded again at each length, so a walk from a CI most of the estate depends on
grows far beyond the CIs it reaches (100,000 CIs: 711,000 rows to depth 10). Both databases evaluate a
recursive CTE lazily, step by step, for as many rows as the query reads, so the walk is read to at most
WALK_ROWS rows: every CI nearer than the last step read is then complete at its shortest distance, and an
answer cut there says so (`truncated`). Each CI keeps the smallest (distance, parent, kind), so answers
are stable; paths are read back from those parents.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, String, Uuid, cast, func, literal, null, select, union_all
from sqlalchemy.orm import Session

from vigil.cmdb import policy, work
from vigil.cmdb.models import CIClass, CIRelationship, ConfigurationItem
from vigil.cmdb.schemas import CIRef, ImpactDirection, ImpactItem, ImpactQuery, ImpactRead, PathStep
from vigil.cmdb.service import reach
from vigil.cmdb.service.records import get
from vigil.cmdb.vocabulary import REL_LABELS, SOURCE_TO_TARGET, Lifecycle, RelKind
from vigil.core.actor import Actor

#: The most CIs one answer carries (the nearest first); `truncated` says when there were more.
MAX_ITEMS = 2000
#: The most services stored on one incident (the nearest first).
MAX_SERVICES = 200
#: The most rows of the walk one answer reads (see the module's docstring).
WALK_ROWS = 6_000

_REL = CIRelationship.__table__


def _edge(direction: ImpactDirection) -> tuple[Any, Any]:
    """(from, to) columns of an impact edge walked in `direction`."""
    if direction is ImpactDirection.UPSTREAM:
        return _REL.c.impact_from_id, _REL.c.impact_to_id
    return _REL.c.impact_to_id, _REL.c.impact_from_id


def _walk(origins: list[uuid.UUID], direction: ImpactDirection, depth: int) -> Any:
    """The walk from `origins`, at most WALK_ROWS of its rows (node, depth, parent, kind), breadth first.

    It carries the edge it came by, so parents come from the walk itself, never from joining distances to
    themselves (which SQLite planned as a scan of every CI at the distance before)."""
    frm, to = _edge(direction)
    seeds = [
        select(
            literal(o, Uuid).label("node"),
            literal(0, Integer).label("depth"),
            cast(null(), Uuid).label("parent"),
            cast(null(), String).label("kind"),
        )
        for o in origins
    ]
    start = (seeds[0] if len(seeds) == 1 else union_all(*seeds).subquery().select()).cte(
        "walk", recursive=True
    )
    step = (
        select(
            to.label("node"),
            (start.c.depth + 1).label("depth"),
            frm.label("parent"),
            cast(_REL.c.kind, String),
        )
        .select_from(start.join(_REL, frm == start.c.node))
        .where(start.c.depth < depth)
    )
    walk = start.union(step)
    return select(walk.c.node, walk.c.depth, walk.c.parent, walk.c.kind).limit(WALK_ROWS).subquery("walked")


def _best(walked: Any) -> Any:
    """(node, d, parent, kind, cut): each CI's shortest distance with its smallest (parent, kind), and
    whether the walk was cut (WALK_ROWS rows read) in the step of the CI's distance or before it."""
    order = (walked.c.depth, walked.c.parent, walked.c.kind)
    ranked = select(
        walked.c.node,
        walked.c.depth.label("d"),
        walked.c.parent,
        walked.c.kind,
        func.row_number().over(partition_by=walked.c.node, order_by=order).label("rn"),
        func.count().over().label("rows"),
        func.max(walked.c.depth).over().label("last"),
    ).subquery("ranked")
    cut = (ranked.c.rows >= WALK_ROWS) & (ranked.c.d >= ranked.c.last)
    return (
        select(ranked.c.node, ranked.c.d, ranked.c.parent, ranked.c.kind, cut.label("cut"))
        .where(ranked.c.rn == 1)
        .cte("best")
    )


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
    kind: str | None
    is_service: bool
    cut: bool


def statement(actor: Actor, origin: uuid.UUID, query: ImpactQuery) -> Any:
    """The one SQL statement of an impact answer: the CIs reached with distance, parent, kind, whether the
    walk was cut there, and whether each is a service (the benchmark runs it bare, beside `impact`)."""
    best = _best(_walk([origin], query.direction, query.depth))
    return (
        select(*_REF_COLUMNS, best.c.d, best.c.parent, best.c.kind, best.c.cut, CIClass.is_service)
        .join(best, best.c.node == ConfigurationItem.id)
        .join(CIClass, CIClass.key == ConfigurationItem.ci_class)
        .where(best.c.d > 0, policy.visible(actor))
        .order_by(best.c.d, ConfigurationItem.name, ConfigurationItem.id)
        .limit(MAX_ITEMS + 1)
    )


def _rows(session: Session, actor: Actor, origin: uuid.UUID, query: ImpactQuery) -> list[_Row]:
    return [
        _Row(row, row.d, row.parent, row.kind, bool(row.is_service), bool(row.cut))
        for row in session.execute(statement(actor, origin, query))
    ]


def impact(*, session: Session, actor: Actor, ref: str, query: ImpactQuery) -> ImpactRead:
    """The CIs a failure of `ref` reaches (upstream) or that it relies on (downstream), within
    `query.depth` steps, each with its distance and a shortest path; services listed apart."""
    origin = get(session=session, actor=actor, ref=ref)
    rows = _rows(session, actor, origin.id, query)
    truncated = len(rows) > MAX_ITEMS or any(row.cut for row in rows)
    rows = rows[:MAX_ITEMS]
    refs = {row.ci.id: CIRef.model_validate(row.ci) for row in rows}
    by_id = {row.ci.id: row for row in rows}
    # Built from values already validated (refs, RelKind, ints read back), and each CI's step once: an
    # answer of 5,000 items with paths of up to 10 steps spent most of its time validating them again.
    steps = {
        i: PathStep.model_construct(ci=refs[i], kind=RelKind(r.kind), label=_label(r.kind, query.direction))
        for i, r in by_id.items()
        if r.kind
    }
    items = [
        ImpactItem.model_construct(
            ci=refs[row.ci.id],
            criticality=row.ci.criticality,
            is_service=row.is_service,
            distance=row.distance,
            path=_path(row, by_id, steps),
        )
        for row in rows
    ]
    return ImpactRead(
        origin=CIRef.model_validate(origin),
        direction=query.direction,
        depth=query.depth,
        items=items,
        services=[item for item in items if item.is_service],
        truncated=truncated,
    )


def _label(kind: str, direction: ImpactDirection) -> str:
    """The relationship worded from the step before: walking upstream from a host, "hosts" the database;
    downstream from an application, "runs on" the host."""
    forward, inverse = REL_LABELS[RelKind(kind)]
    along = kind in SOURCE_TO_TARGET  # the impact edge runs source -> target
    from_source = along if direction is ImpactDirection.UPSTREAM else not along
    return forward if from_source else inverse


def _path(row: _Row, by_id: dict[uuid.UUID, _Row], steps: dict[uuid.UUID, PathStep]) -> list[PathStep]:
    """From the origin (left out) to `row`, following each CI's parent; a parent the actor may not see
    ends the path there (it is still a true suffix of the way)."""
    path: list[PathStep] = []
    here: _Row | None = row
    while here is not None and here.kind is not None:
        path.append(steps[here.ci.id])
        here = by_id.get(here.parent) if here.parent is not None else None
    return list(reversed(path))


@dataclass(frozen=True)
class ImpactedService:
    ci: ConfigurationItem
    distance: int


def impacted_services(session: Session, ci_ids: list[uuid.UUID], *, depth: int = 10) -> list[ImpactedService]:
    """The business and technical services a failure of any of `ci_ids` reaches (a service among them at
    distance 0), nearest first, all of them: the complete walk (`reach`), not the nearest CIs an impact
    answer lists, since a core switch's outage impacts services far beyond those. Not scoped to an actor:
    what an incident impacts is a fact of the CMDB."""
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


def reach_ids(
    session: Session, origins: list[uuid.UUID], direction: ImpactDirection, *, depth: int = 10
) -> list[uuid.UUID]:
    """The ids of `origins` and of every CI within `depth` steps of them in `direction`."""
    if not origins:
        return []
    dist = _best(_walk(sorted(set(origins)), direction, depth))
    return list(session.scalars(select(dist.c.node).order_by(dist.c.d).limit(MAX_ITEMS)))


def open_work_below(*, session: Session, actor: Actor, ref: str) -> list[work.WorkItem]:
    """Open work on the CI and on everything it relies on (a failing database behind this application),
    as far as `actor` may see it."""
    ci = get(session=session, actor=actor, ref=ref)
    return work.open_work(session, actor, reach_ids(session, [ci.id], ImpactDirection.DOWNSTREAM))
