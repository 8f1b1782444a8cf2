"""An incident's SLA clocks through its life, with the injected clock, on both databases: the default
policy (the action plan) and its calendars, pause and resume, a priority change mid-clock, reopen, the
thresholds emitted once each, and what the API shows."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import Clock
from tests.dbutil import BACKENDS, fresh_database
from vigil import domains, migrate
from vigil.auth import service as auth_service
from vigil.core.actor import Actor, Channel
from vigil.core.db import Database
from vigil.incidents import service
from vigil.incidents.schemas import (
    IncidentCreate,
    IncidentFilter,
    IncidentNote,
    IncidentReopen,
    IncidentResolve,
    IncidentUpdate,
)
from vigil.sla import service as sla
from vigil.sla.models import SlaCalendar, SlaClock, SlaClockEvent

MONDAY_9 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # the frozen clock's start: a Monday


def _create(session: Session, admin: Actor, impact: str = "high", urgency: str = "medium") -> str:
    made = service.create(
        session=session,
        actor=admin,
        data=IncidentCreate(title="Mail is slow", impact=impact, urgency=urgency),
    )
    return made.number


def _read(session: Session, admin: Actor, number: str):  # type: ignore[no-untyped-def]
    session.expire_all()
    return service.to_read(service.get(session=session, actor=admin, ref=number), admin)


def test_p2_runs_on_business_hours_pauses_on_hold_and_stops_when_acknowledged(
    session: Session, admin: Actor, frozen_clock: Clock
) -> None:
    number = _create(session, admin)  # high x medium: P2, the action plan's 1 h / 24 h on business hours
    i = _read(session, admin, number)
    assert i.priority == "P2" and set(i.sla) == {"response", "resolution"}
    assert i.sla["response"].policy == "Action plan" and i.sla["response"].calendar == "Business hours"
    assert i.response_due_at == MONDAY_9 + timedelta(hours=1)
    # 24 business hours from Monday 09:00 on 09:00-18:00: Monday 9 h, Tuesday 9 h, Wednesday 6 h.
    assert i.resolution_due_at == datetime(2026, 11, 4, 15, 0, tzinfo=UTC)
    assert i.sla["resolution"].state == "running" and i.sla["resolution"].percent_used == 0

    frozen_clock.advance(minutes=20)
    service.acknowledge(session=session, actor=admin, ref=number, data=IncidentNote())
    i = _read(session, admin, number)
    assert i.sla["response"].state == "met" and i.sla["response"].elapsed_seconds == 1200
    assert i.time_to_acknowledge == 1200 and i.time_to_acknowledge_business == 1200
    assert i.sla["response"].wall_seconds == 1200

    frozen_clock.advance(minutes=40)  # Monday 10:00: 1 h of resolution time used
    service.hold(session=session, actor=admin, ref=number, data=IncidentNote(note="waiting for the vendor"))
    i = _read(session, admin, number)
    assert i.sla["resolution"].state == "paused" and i.resolution_due_at is None
    assert i.sla["resolution"].elapsed_seconds == 3600
    frozen_clock.advance(days=2)  # Wednesday 10:00: paused all along
    i = _read(session, admin, number)
    assert i.sla["resolution"].elapsed_seconds == 3600 and i.sla["resolution"].paused_seconds == 2 * 86400
    service.resume(session=session, actor=admin, ref=number, data=IncidentNote())
    i = _read(session, admin, number)
    # 23 h left from Wednesday 10:00: Wednesday 8 h, Thursday 9 h, Friday 6 h -> Friday 15:00.
    assert i.sla["resolution"].state == "running"
    assert i.resolution_due_at == datetime(2026, 11, 6, 15, 0, tzinfo=UTC)
    assert i.sla["resolution"].paused_seconds == 2 * 86400

    frozen_clock.advance(hours=2)  # Wednesday 12:00, 3 h used
    service.resolve(
        session=session, actor=admin, ref=number, data=IncidentResolve(resolution_notes="vendor fixed it")
    )
    i = _read(session, admin, number)
    assert i.sla["resolution"].state == "met" and i.sla["resolution"].elapsed_seconds == 3 * 3600
    assert i.time_to_resolve_business == 3 * 3600 and i.time_to_resolve == 2 * 86400 + 3 * 3600
    service.reopen(session=session, actor=admin, ref=number, data=IncidentReopen(reason="it is slow again"))
    i = _read(session, admin, number)
    assert i.sla["resolution"].state == "running" and i.sla["resolution"].elapsed_seconds == 3 * 3600
    assert i.sla["response"].state == "met"  # the response was given; reopening does not undo it


def test_friday_evening_is_due_on_monday(session: Session, admin: Actor, frozen_clock: Clock) -> None:
    frozen_clock.now = datetime(2026, 11, 6, 17, 30, tzinfo=UTC)  # a Friday
    i = _read(session, admin, _create(session, admin))
    assert i.response_due_at == datetime(2026, 11, 9, 9, 30, tzinfo=UTC)  # 30 min Friday, 30 min Monday


def test_a_priority_change_retargets_from_the_original_start(
    session: Session, admin: Actor, frozen_clock: Clock
) -> None:
    number = _create(session, admin, impact="medium", urgency="medium")  # P3: 4 h / 45 h business
    frozen_clock.advance(hours=1)
    service.update(
        session=session, actor=admin, ref=number, data=IncidentUpdate(impact="high", urgency="high")
    )
    i = _read(session, admin, number)
    assert i.priority == "P1" and i.sla["resolution"].calendar == "24x7"
    assert i.sla["resolution"].target_seconds == 4 * 3600 and i.sla["resolution"].elapsed_seconds == 3600
    assert i.resolution_due_at == MONDAY_9 + timedelta(hours=4)  # 3 h left, around the clock
    assert i.response_due_at == MONDAY_9 + timedelta(minutes=15)  # already breached: 15 min for P1
    assert i.sla["response"].state == "breached" and i.sla["response"].remaining_seconds == -45 * 60
    kinds = session.scalars(select(SlaClockEvent.kind).order_by(SlaClockEvent.at, SlaClockEvent.kind))
    assert "retarget" in list(kinds)


def test_warnings_and_the_breach_are_emitted_once_each(
    session: Session, admin: Actor, frozen_clock: Clock
) -> None:
    number = _create(session, admin, impact="high", urgency="high")  # P1: 15 min response, 24x7
    frozen_clock.advance(minutes=11)
    assert sla.sweep(session) == 0  # 73 %: nothing due yet
    frozen_clock.advance(minutes=1, seconds=15)  # 12:15 = 81.7 %: the 75 % warning
    assert sla.sweep(session) == 1 and sla.sweep(session) == 0
    frozen_clock.advance(minutes=10)  # 22:15: past 90 % and 100 %
    assert sla.sweep(session) == 2  # both, in order, in one sweep
    assert sla.sweep(session) == 0
    frozen_clock.now -= timedelta(hours=1)  # the wall clock jumps back: nothing is emitted again
    assert sla.sweep(session) == 0
    frozen_clock.now += timedelta(hours=2)
    assert sla.sweep(session) == 0
    response = session.scalars(select(SlaClock).where(SlaClock.metric == "response")).one()
    # The 90 % warning and the breach share the sweep's time; the history tells them in order.
    events = [
        e
        for metric, e in sla.history(session, response.record_type, response.record_id)
        if metric == "response"
    ]
    assert [(e.kind, e.data.get("percent")) for e in events] == [
        ("start", None),
        ("warning", 75),
        ("warning", 90),
        ("breach", 100),
    ]
    assert response.breached_at == MONDAY_9 + timedelta(minutes=15)
    i = _read(session, admin, number)
    assert i.sla["response"].state == "breached" and i.sla["response"].percent_used > 100
    # Acknowledging late stops the clock as breached; the sweep has nothing more for it.
    service.acknowledge(session=session, actor=admin, ref=number, data=IncidentNote())
    assert _read(session, admin, number).sla["response"].state == "breached"


def test_the_api_shows_the_sla_fields(api_client: TestClient, frozen_clock: Clock) -> None:
    made = api_client.post(
        "/api/v1/incidents", json={"title": "VPN down", "impact": "high", "urgency": "medium"}
    )
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["response_due_at"] == "2026-11-02T10:00:00Z"
    assert body["resolution_due_at"] == "2026-11-04T15:00:00Z"
    assert body["sla"]["response"]["state"] == "running" and body["sla"]["response"]["target_seconds"] == 3600
    listed = api_client.get("/api/v1/incidents").json()["items"][0]
    assert listed["sla"]["resolution"]["calendar"] == "Business hours"


def test_the_api_explains_a_due_time(api_client: TestClient, frozen_clock: Clock) -> None:
    made = api_client.post(
        "/api/v1/incidents", json={"title": "VPN down", "impact": "high", "urgency": "medium"}
    )
    number = made.json()["number"]
    frozen_clock.advance(hours=10)  # Monday 19:00: 9 business hours counted, 18:00-19:00 not
    body = api_client.get(f"/api/v1/incidents/{number}/sla").json()
    resolution = next(c for c in body["clocks"] if c["metric"] == "resolution")
    assert resolution["calendar"]["name"] == "Business hours" and resolution["calendar"]["timezone"] == "UTC"
    assert [e["kind"] for e in resolution["events"]] == ["start"]
    assert resolution["spans"] == [
        {"start": "2026-11-02T09:00:00Z", "end": "2026-11-02T18:00:00Z", "seconds": 9 * 3600}
    ]
    assert (
        resolution["clock"]["elapsed_seconds"] == 9 * 3600 and resolution["clock"]["policy"] == "Action plan"
    )
    assert api_client.get("/api/v1/incidents/INC-999999/sla").status_code == 404


def test_a_holiday_in_the_calendar_moves_the_due_time(
    session: Session, admin: Actor, frozen_clock: Clock
) -> None:
    hours = session.scalars(select(SlaCalendar).where(SlaCalendar.name == "Business hours")).one()
    hours.extra_holidays = ["2026-11-03"]  # Tuesday off
    session.flush()
    i = _read(session, admin, _create(session, admin))  # P2: 24 business hours from Monday 09:00
    # Monday 9 h, Tuesday off, Wednesday 9 h, Thursday 6 h.
    assert i.resolution_due_at == datetime(2026, 11, 5, 15, 0, tzinfo=UTC)
    hours.extra_holidays = []  # a later calendar edit does not rewrite the running clock (snapshot)
    session.flush()
    assert _read(session, admin, i.number).resolution_due_at == datetime(2026, 11, 5, 15, 0, tzinfo=UTC)


def test_the_queue_filters_breached_and_at_risk_and_sorts_by_due(
    session: Session, admin: Actor, frozen_clock: Clock
) -> None:
    p1 = _create(session, admin, impact="high", urgency="high")  # response due 09:15
    p2 = _create(session, admin)  # response due 10:00
    p3 = _create(session, admin, impact="medium", urgency="medium")  # response due 13:00
    held = _create(session, admin, impact="high", urgency="high")
    service.acknowledge(session=session, actor=admin, ref=held, data=IncidentNote())
    service.hold(session=session, actor=admin, ref=held, data=IncidentNote(note="vendor"))  # not ticking

    def numbers(**f: object) -> list[str]:
        page = service.list_incidents(session=session, actor=admin, filters=IncidentFilter.model_validate(f))
        return [i.number for i in page.items]

    assert numbers(sort="sla_due") == [p1, p2, p3]
    frozen_clock.advance(minutes=50)  # 09:50: P1 breached, P2 at 83 % of its hour
    assert numbers(sla=["breached"]) == [p1]
    assert numbers(sla=["at_risk"]) == [p2]
    assert numbers(sla=["breached", "at_risk"], sort="sla_due") == [p1, p2]
    first = service.list_incidents(
        session=session, actor=admin, filters=IncidentFilter.model_validate({"sort": "sla_due", "limit": 1})
    )
    second = service.list_incidents(
        session=session,
        actor=admin,
        filters=IncidentFilter.model_validate({"sort": "sla_due", "limit": 5, "cursor": first.next_cursor}),
    )
    assert [i.number for i in first.items] == [p1] and [i.number for i in second.items] == [p2, p3]
    service.acknowledge(session=session, actor=admin, ref=p2, data=IncidentNote())  # response met
    assert numbers(sla=["at_risk"]) == []


def test_the_breached_and_at_risk_view_in_the_queue(
    web_client: TestClient, session: Session, admin: Actor, frozen_clock: Clock
) -> None:
    late = _create(session, admin, impact="high", urgency="high")
    calm = _create(session, admin, impact="low", urgency="low")
    frozen_clock.advance(minutes=30)
    page = web_client.get("/incidents?view=sla").text
    assert late in page and calm not in page
    assert "late</time>" in page  # the due column says how late


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_workers_emit_each_threshold_once(backend: str, tmp_path: Path, frozen_clock: Clock) -> None:
    """Two sweeps at once, each in its own connection and transaction, on a database of their own
    (two workers on PostgreSQL take disjoint rows with SKIP LOCKED; SQLite serialises writers):
    every warning and breach of every clock exactly once."""
    with fresh_database(backend, tmp_path) as url:
        migrate.upgrade(url)
        domains.load()
        db = Database(url)
        with db.unit_of_work() as s:
            made = auth_service.ensure_first_admin(s, "admin@vigil.example", None, generate=False)
            actor = auth_service.actor_for(made[0], Channel.API)
            for n in range(30):
                service.create(
                    session=s,
                    actor=actor,
                    data=IncidentCreate(title=f"disk {n}", impact="high", urgency="high"),
                )
        frozen_clock.advance(hours=6)  # every P1 clock is past 75, 90 and 100 %
        barrier = threading.Barrier(2)

        def work(_: int) -> int:
            barrier.wait()
            done = 0
            while True:
                with db.unit_of_work() as s:
                    found = sla.sweep(s, limit=7)
                if not found:
                    return done
                done += found

        with ThreadPoolExecutor(2) as pool:
            counts = list(pool.map(work, range(2)))
        assert sum(counts) == 30 * 2 * 3  # 30 incidents x 2 clocks x (75, 90, 100)
        with db.unit_of_work() as s:
            rows = s.execute(
                select(SlaClockEvent.clock_id, SlaClockEvent.data).where(
                    SlaClockEvent.kind.in_(("warning", "breach"))
                )
            ).all()
        per_clock: dict[object, list[int]] = {}
        for clock_id, data in rows:
            per_clock.setdefault(clock_id, []).append(int(data["percent"]))
        assert len(per_clock) == 60 and all(sorted(v) == [75, 90, 100] for v in per_clock.values())
        db.engine.dispose()


def test_recompute_repairs_clocks_after_a_calendar_fix(
    session: Session, admin: Actor, frozen_clock: Clock
) -> None:
    number = _create(session, admin)  # P2 on Monday 09:00: response 1 h, resolution 24 business hours
    frozen_clock.now = datetime(2026, 11, 2, 9, 50, tzinfo=UTC)
    assert sla.sweep(session) == 1  # the response clock's 75 % warning
    frozen_clock.now = datetime(2026, 11, 3, 10, 30, tzinfo=UTC)  # Tuesday 10:30, no sweep since
    before = _read(session, admin, number)
    assert before.sla["resolution"].elapsed_seconds == 10.5 * 3600
    assert before.resolution_due_at == datetime(2026, 11, 4, 15, 0, tzinfo=UTC)
    # Monday was a public holiday all along: fix the calendar, then repair.
    hours = session.scalars(select(SlaCalendar).where(SlaCalendar.name == "Business hours")).one()
    hours.extra_holidays = ["2026-11-02"]
    session.flush()
    changed, last, seen = sla.recompute_batch(session)
    assert last is None and seen == 2 and len(changed) == 2
    resolution = next(r for r in changed if r.metric == "resolution")
    assert (resolution.used_before, resolution.used_after) == (10.5 * 3600, 1.5 * 3600)
    after = _read(session, admin, number)
    assert after.sla["resolution"].elapsed_seconds == 1.5 * 3600
    # 22.5 h left from Tuesday 10:30: Tuesday 7.5 h, Wednesday 9 h, Thursday 6 h.
    assert after.resolution_due_at == datetime(2026, 11, 5, 15, 0, tzinfo=UTC)
    assert after.sla["response"].state == "breached"  # 1.5 h of a 1 h target even without Monday
    assert after.response_due_at == datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
    assert sla.recompute_batch(session)[0] == []  # nothing more to repair
    # The response clock's 75 % warning was emitted; the repair finds it past 100 %: the breach is next,
    # once, and the warning is not emitted again.
    response = session.scalars(select(SlaClock).where(SlaClock.metric == "response")).one()
    assert response.next_alert_percent == 100
    frozen_clock.advance(seconds=1)
    assert sla.sweep(session) == 1 and sla.sweep(session) == 0
    kinds = session.scalars(
        select(SlaClockEvent.kind).where(SlaClockEvent.clock_id == response.id).order_by(SlaClockEvent.at)
    )
    assert list(kinds) == ["start", "warning", "recompute", "breach"]
