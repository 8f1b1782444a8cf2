"""An incident's SLA clocks follow its life: they start at creation under the policy its facts choose,
the response clock stops at acknowledgement, both pause in a pause status (on hold) and resume after it,
resolving stops them, reopening restarts the resolution clock, closing or cancelling stops them all,
and a priority change retargets them. The clocks themselves are the SLA engine's (vigil.sla)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from vigil.incidents.lifecycle import Action, Status
from vigil.incidents.models import Incident
from vigil.incidents.schemas import IncidentSla, SlaClockRead, SlaEventRead, SlaExplanation, SlaSpan
from vigil.incidents.settings import IncidentSettings
from vigil.sla import service as sla
from vigil.sla.models import SlaClockEvent

RECORD = "incident"


def facts(incident: Incident) -> sla.Facts:
    return sla.Facts(
        priority=str(incident.priority),
        category=incident.category,
        cis=frozenset(ci.id for ci in incident.affected_cis),
        teams=lambda: (
            frozenset(t.id for t in incident.requester.teams) if incident.requester else frozenset()
        ),
    )


def started(session: Session, incident: Incident, at: datetime) -> None:
    made = sla.start(session, record_type=RECORD, record_id=incident.id, facts=facts(incident), at=at)
    # A new incident's clocks are the ones just made: its answer reads them without a query.
    set_committed_value(incident, "sla_clocks", sorted(made, key=lambda c: c.metric))


def moved(
    session: Session,
    incident: Incident,
    action: Action,
    before: str,
    at: datetime,
    settings: IncidentSettings,
    *,
    acknowledged: bool,
) -> None:
    """After `action` took the incident from `before` to its status (`acknowledged`: this action set
    its acknowledgement)."""
    with session.no_autoflush:  # the incident's own changes go in one UPDATE, later
        _moved(session, incident, action, before, at, settings, acknowledged=acknowledged)


def _moved(
    session: Session,
    incident: Incident,
    action: Action,
    before: str,
    at: datetime,
    settings: IncidentSettings,
    *,
    acknowledged: bool,
) -> None:
    ref: dict[str, Any] = {"record_type": RECORD, "record_id": incident.id, "at": at}
    after = str(incident.status)
    pausing = set(settings.sla_pause_statuses)
    if acknowledged:
        sla.stop(session, metrics=("response",), **ref)
    if after in (Status.RESOLVED, Status.CLOSED, Status.CANCELLED):
        sla.stop(session, metrics=sla.METRICS, **ref)
        return
    if action is Action.REOPEN and settings.sla_reopen_restarts:
        sla.restart(session, metrics=("resolution",), **ref)
    if after in pausing and before not in pausing:
        sla.pause(session, **ref)
    elif before in pausing and after not in pausing:
        sla.resume(session, **ref)


def reprioritised(session: Session, incident: Incident, at: datetime) -> None:
    with session.no_autoflush:
        sla.retarget(
            session, record_type=RECORD, record_id=incident.id, priority=str(incident.priority), at=at
        )


def explain(session: Session, incident: Incident, at: datetime) -> IncidentSla:
    """The policy, calendar, events and counted spans behind each of the incident's due times."""
    out = []
    for e in sla.explain(session, record_type=RECORD, record_id=incident.id, at=at):
        view = {k: v for k, v in asdict(e.view).items() if k not in ("metric", "breached")}
        out.append(
            SlaExplanation(
                metric=e.view.metric,
                clock=SlaClockRead(**view),
                calendar=e.calendar,
                events=[SlaEventRead(kind=x.kind, at=x.at, data=x.data) for x in e.events],
                spans=[SlaSpan(start=a, end=b, seconds=int((b - a).total_seconds())) for a, b in e.spans],
            )
        )
    return IncidentSla(number=incident.number, clocks=out)


def history(session: Session, incident: Incident) -> list[tuple[str, SlaClockEvent]]:
    """The incident's clock events, oldest first, as (metric, event)."""
    return sla.history(session, RECORD, incident.id)


_EVENT_WORDS = {
    "start": "started",
    "pause": "paused",
    "resume": "resumed",
    "restart": "restarted (reopened)",
    "stop": "stopped",
    "retarget": "retargeted",
    "warning": "warning",
    "breach": "breached",
}


def event_words(e: SlaClockEvent) -> str:
    """One clock event as a phrase for the page: "stopped, met", "retargeted to P1 (4h 0m)"."""
    words = _EVENT_WORDS.get(e.kind, e.kind)
    data = e.data or {}
    if e.kind == "start":
        return f"{words} under {data.get('policy')}, {data.get('priority')} ({data.get('calendar')})"
    if e.kind == "stop":
        return f"{words}, {'met' if data.get('met') else 'missed'}"
    if e.kind == "retarget":
        return f"{words} to {data.get('priority')} ({data.get('calendar')})"
    if e.kind == "warning":
        return f"{data.get('percent')} % used"
    return words
