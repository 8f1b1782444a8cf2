"""SLA compliance of the incidents an actor may see: clocks met and breached per priority, assignment
team and month of start, counted by the database (GROUP BY) on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, String, and_, case, cast, func, literal, not_, or_, select, union_all
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import Select

from vigil.auth import policy as auth_policy
from vigil.auth.models import Team
from vigil.core import clock
from vigil.core.actor import Actor
from vigil.core.errors import Forbidden
from vigil.incidents import policy
from vigil.incidents.models import Incident
from vigil.incidents.schemas_sla_report import Dimension, SlaReport, SlaReportFilter, SlaReportRow
from vigil.sla.models import SlaClock

RECORD_TYPE = "incident"
NO_TEAM = "No team"


def _breached(at: datetime) -> ColumnElement[bool]:
    """As `sla.service.view` judges it: over the target, marked breached, or running past its due time
    (the sweep may not have marked it yet)."""
    return or_(
        SlaClock.breached_at.is_not(None),
        SlaClock.used_seconds > SlaClock.target_seconds,
        and_(SlaClock.state == "running", SlaClock.due_at <= at),
    )


def month_of(session: Session, column: Any) -> ColumnElement[str]:
    """`2026-11`: the UTC month of a timestamp column, in the bound database's own dialect."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM")
    return func.strftime("%Y-%m", column)  # SQLite keeps naive UTC text


def _scope(actor: Actor, filters: SlaReportFilter) -> list[ColumnElement[bool]]:
    where = [
        SlaClock.record_type == RECORD_TYPE,
        SlaClock.metric == str(filters.metric),
        policy.visible(actor),
    ]
    if filters.from_ is not None:
        where.append(SlaClock.started_at >= _midnight(filters.from_))
    if filters.to is not None:
        where.append(SlaClock.started_at < _midnight(filters.to + timedelta(days=1)))
    return where


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def _counts(at: datetime) -> list[Any]:
    """met, breached and open, summed per group: a stopped clock not breached is met; one not stopped
    counts as breached once it is, and as open (outside the percentage) until then."""
    breached = _breached(at)
    stopped = SlaClock.state == "stopped"
    return [
        func.sum(case((and_(stopped, not_(breached)), 1), else_=0)).label("met"),
        func.sum(case((breached, 1), else_=0)).label("breached"),
        func.sum(case((and_(not_(stopped), not_(breached)), 1), else_=0)).label("open"),
    ]


def _grouped(columns: list[Any], keys: list[Any], where: Iterable[Any], at: datetime) -> Select[Any]:
    return (
        select(*columns, *_counts(at))
        .select_from(SlaClock)
        .join(Incident, Incident.id == SlaClock.record_id)
        .outerjoin(Team, Team.id == Incident.assignment_group_id)
        .where(*where)
        .group_by(*keys)
    )


def _keys(session: Session) -> dict[Dimension, Any]:
    return {
        Dimension.PRIORITY: SlaClock.priority,
        Dimension.TEAM: func.coalesce(Team.name, NO_TEAM),
        Dimension.MONTH: month_of(session, SlaClock.started_at),
    }


def _staff_only(actor: Actor) -> None:
    if not auth_policy.is_staff(actor):
        raise Forbidden("only staff (agents, managers, administrators) see the SLA compliance report")


def _percent(met: int, breached: int) -> float | None:
    counted = met + breached
    return round(100 * met / counted, 1) if counted else None


def _order(row: SlaReportRow) -> tuple[int, bool, str]:
    return (list(Dimension).index(row.dimension), row.key == NO_TEAM, row.key.casefold())


def report(*, session: Session, actor: Actor, filters: SlaReportFilter) -> SlaReport:
    """Met, breached and open clocks of one metric per priority, team and month, in one query. Staff
    only; each group counts only incidents `actor` may see (`policy.visible`)."""
    _staff_only(actor)
    at, where = clock.now(), _scope(actor, filters)
    query = union_all(
        *(
            _grouped(
                [literal(str(d), String).label("dimension"), cast(k, String).label("key")], [k], where, at
            )
            for d, k in _keys(session).items()
        )
    )
    rows = [_row(Dimension(r.dimension), str(r.key), r) for r in session.execute(query)]
    return SlaReport(metric=filters.metric, from_=filters.from_, to=filters.to, rows=sorted(rows, key=_order))


def monthly_by_priority(
    *, session: Session, actor: Actor, filters: SlaReportFilter
) -> dict[str, dict[str, SlaReportRow]]:
    """The same counts per month and priority, for a chart of % met over time: {month: {priority: row}},
    months in order."""
    _staff_only(actor)
    keys = _keys(session)
    month, priority = keys[Dimension.MONTH].label("month"), keys[Dimension.PRIORITY].label("priority")
    query = _grouped(
        [month, priority],
        [keys[Dimension.MONTH], keys[Dimension.PRIORITY]],
        _scope(actor, filters),
        clock.now(),
    )
    out: dict[str, dict[str, SlaReportRow]] = {}
    for r in session.execute(query.order_by(keys[Dimension.MONTH], keys[Dimension.PRIORITY])):
        out.setdefault(str(r.month), {})[str(r.priority)] = _row(Dimension.MONTH, str(r.month), r)
    return out


def _row(dimension: Dimension, key: str, r: Any) -> SlaReportRow:
    met, breached = int(r.met or 0), int(r.breached or 0)
    return SlaReportRow(
        dimension=dimension,
        key=key,
        met=met,
        breached=breached,
        open=int(r.open or 0),
        percent_met=_percent(met, breached),
    )
