"""Incident gauges for /metrics, read at scrape time: open incidents, and those at SLA risk or breached.

Each query reads only open incidents through `ix_incident_status_priority` (status, priority, ...),
bounded by the open backlog however long the history grows; the SLA ones look each open incident's
clocks up by their unique (record_type, record_id, metric) key.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from vigil.core import metrics
from vigil.incidents import lifecycle
from vigil.incidents.models import Incident
from vigil.incidents.priority import Priority
from vigil.incidents.service import clocks
from vigil.sla import service as sla

#: The states in which an incident is still being worked (counted as open).
OPEN = (lifecycle.Status.OPEN, lifecycle.Status.IN_PROGRESS, lifecycle.Status.ON_HOLD)


@metrics.gauge(
    "itsm_open_incidents", "Incidents not yet resolved, by priority and status.", ("priority", "status")
)
def _open(session: Session, now: datetime) -> metrics.Samples:
    rows = session.execute(
        select(Incident.priority, Incident.status, func.count())
        .where(Incident.status.in_(OPEN))
        .group_by(Incident.priority, Incident.status)
    )
    counts = {(str(p), str(s)): n for p, s, n in rows}
    # Every combination is reported, zeros too, so a panel or rule never sees a series vanish.
    keys = {(str(p), str(s)) for p in Priority for s in OPEN} | set(counts)
    return [(key, float(counts.get(key, 0))) for key in sorted(keys)]


def _by_priority(session: Session, condition: ColumnElement[bool]) -> metrics.Samples:
    rows = session.execute(
        select(Incident.priority, func.count())
        .where(Incident.status.in_(OPEN), condition)
        .group_by(Incident.priority)
    )
    counts = {str(p): n for p, n in rows}
    keys = {str(p) for p in Priority} | set(counts)
    return [((key,), float(counts.get(key, 0))) for key in sorted(keys)]


@metrics.gauge(
    "itsm_sla_breached_incidents",
    "Open incidents with an SLA clock past its target, by priority.",
    ("priority",),
)
def _breached(session: Session, now: datetime) -> metrics.Samples:
    return _by_priority(session, sla.breached_clause(clocks.RECORD, Incident.id, now))


@metrics.gauge(
    "itsm_sla_warning_incidents",
    "Open incidents with a running SLA clock past its first warning (75 %) but not breached, by priority.",
    ("priority",),
)
def _warning(session: Session, now: datetime) -> metrics.Samples:
    return _by_priority(session, sla.at_risk_clause(clocks.RECORD, Incident.id, now))
