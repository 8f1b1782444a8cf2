"""The SLA compliance report on both databases: clocks driven through the incident services with the
injected clock, then exact met / breached / open counts and percentages per priority, team and month;
what the actor may see; the API's shape and refusals; the page and its chart; the CLI's JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.conftest import Clock
from tests.dbutil import fresh_database
from tests.factories.auth import WebClient, actor, api_token, login_as, make_team, make_user
from vigil import domains, migrate
from vigil.app import create_app
from vigil.auth import service as auth_service
from vigil.auth.roles import Role
from vigil.cli import app as cli_app
from vigil.core.actor import Actor, Channel
from vigil.core.db import Database
from vigil.core.errors import Forbidden
from vigil.core.facade import query
from vigil.incidents import service
from vigil.incidents.schemas import IncidentCreate, IncidentNote, IncidentResolve
from vigil.incidents.schemas_sla_report import SlaReport, SlaReportFilter
from vigil.incidents.service import sla_report
from vigil.sla import service as sla

OCT_5 = datetime(2026, 10, 5, 10, 0, tzinfo=UTC)  # a Monday
NOV_2 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday


def _open(session: Session, who: Actor, team: str | None, impact: str = "high", urgency: str = "high") -> str:
    data = IncidentCreate(title="Mail is down", impact=impact, urgency=urgency, assignment_group=team)
    return service.create(session=session, actor=who, data=data).number


def _ack(session: Session, who: Actor, number: str) -> None:
    service.acknowledge(session=session, actor=who, ref=number, data=IncidentNote())


def build(session: Session, who: Actor, frozen_clock: Clock) -> dict[str, str]:
    """Six incidents (P1: 15 min response, 4 h resolution on 24x7; P3: 4 h / 45 h business hours):

    A P1 Network, Oct: acknowledged after 10 min (response met), resolved after 30 min (met).
    B P1 Network, Oct: acknowledged after 20 min (response breached); resolution runs on, past due.
    C P1 no team, Nov: acknowledged after 5 min (met); resolution running, within target.
    D P3 Desk, Nov: acknowledged after 65 min (met on 4 h).
    E P1 no team, Nov: never acknowledged: response running past its due time (breached, unswept).
    F P3 Desk, Nov: opened last: both clocks running within target (open).
    """
    make_team(session, who, name="Network")
    make_team(session, who, name="Desk")
    frozen_clock.now = OCT_5
    a, b = _open(session, who, "Network"), _open(session, who, "Network")
    frozen_clock.advance(minutes=10)
    _ack(session, who, a)
    frozen_clock.advance(minutes=10)
    _ack(session, who, b)
    frozen_clock.advance(minutes=10)
    service.resolve(session=session, actor=who, ref=a, data=IncidentResolve(resolution_notes="restarted"))
    frozen_clock.now = NOV_2
    c, d, e = (
        _open(session, who, None),
        _open(session, who, "Desk", "medium", "medium"),
        _open(session, who, None),
    )
    frozen_clock.advance(minutes=5)
    _ack(session, who, c)
    frozen_clock.advance(minutes=60)
    _ack(session, who, d)
    f = _open(session, who, "Desk", "medium", "medium")
    frozen_clock.advance(minutes=1)
    return {"A": a, "B": b, "C": c, "D": d, "E": e, "F": f}


def table(report: SlaReport) -> dict[tuple[str, str], tuple[int, int, int, float | None]]:
    return {(r.dimension, r.key): (r.met, r.breached, r.open, r.percent_met) for r in report.rows}


RESPONSE = {
    ("priority", "P1"): (2, 2, 0, 50.0),
    ("priority", "P3"): (1, 0, 1, 100.0),
    ("team", "Desk"): (1, 0, 1, 100.0),
    ("team", "Network"): (1, 1, 0, 50.0),
    ("team", "No team"): (1, 1, 0, 50.0),
    ("month", "2026-10"): (1, 1, 0, 50.0),
    ("month", "2026-11"): (2, 1, 1, 66.7),
}
RESOLUTION = {
    ("priority", "P1"): (1, 1, 2, 50.0),  # A met; B ran past its 4 h; C and E within it
    ("priority", "P3"): (0, 0, 2, None),
    ("team", "Desk"): (0, 0, 2, None),
    ("team", "Network"): (1, 1, 0, 50.0),
    ("team", "No team"): (0, 0, 2, None),
    ("month", "2026-10"): (1, 1, 0, 50.0),
    ("month", "2026-11"): (0, 0, 4, None),
}


def _report(session: Session, who: Actor, **filters: Any) -> SlaReport:
    return sla_report.report(session=session, actor=who, filters=SlaReportFilter.model_validate(filters))


def test_counts_per_priority_team_and_month(session: Session, admin: Actor, frozen_clock: Clock) -> None:
    build(session, admin, frozen_clock)
    response = _report(session, admin, metric="response")
    assert table(response) == RESPONSE
    # Ordered: priorities, then teams by name with "No team" last, then months.
    assert [(r.dimension, r.key) for r in response.rows] == list(RESPONSE)
    assert table(_report(session, admin)) == RESOLUTION  # resolution is the default metric


def test_dates_filter_on_the_clock_start_both_inclusive(
    session: Session, admin: Actor, frozen_clock: Clock
) -> None:
    build(session, admin, frozen_clock)
    november = table(_report(session, admin, metric="response", **{"from": "2026-11-01"}))
    assert november[("month", "2026-11")] == (2, 1, 1, 66.7) and ("month", "2026-10") not in november
    assert ("team", "Network") not in november
    october = table(_report(session, admin, metric="response", **{"from": "2026-10-05", "to": "2026-10-05"}))
    assert october == {
        ("priority", "P1"): (1, 1, 0, 50.0),
        ("team", "Network"): (1, 1, 0, 50.0),
        ("month", "2026-10"): (1, 1, 0, 50.0),
    }
    assert _report(session, admin, **{"from": "2027-01-01"}).rows == []
    with pytest.raises(ValueError, match="after"):
        SlaReportFilter.model_validate({"from": date(2026, 12, 1), "to": date(2026, 11, 1)})


def test_a_swept_breach_and_a_paused_clock(session: Session, admin: Actor, frozen_clock: Clock) -> None:
    frozen_clock.now = NOV_2
    late = _open(session, admin, None)
    on_hold = _open(session, admin, None)
    frozen_clock.advance(minutes=5)
    _ack(session, admin, on_hold)
    service.hold(session=session, actor=admin, ref=on_hold, data=IncidentNote(note="waiting"))
    frozen_clock.advance(minutes=30)
    sla.sweep(session)  # marks `late`'s response breached_at: still counted once, as breached
    assert late
    rows = table(_report(session, admin, metric="response"))
    assert rows[("priority", "P1")] == (1, 1, 0, 50.0)
    resolution = table(_report(session, admin))
    assert resolution[("priority", "P1")] == (0, 0, 2, None)  # one running, one paused: both open


def test_agents_count_only_what_they_see_and_requesters_are_refused(
    session: Session, admin: Actor, frozen_clock: Clock
) -> None:
    build(session, admin, frozen_clock)
    agent = make_user(session, admin, Role.AGENT)
    make_team(session, admin, agent, name="Service Desk")
    seen = table(_report(session, actor(session, agent), metric="response"))
    # Not in Network or Desk: only the untriaged (no team) incidents C and E.
    assert seen == {
        ("priority", "P1"): (1, 1, 0, 50.0),
        ("team", "No team"): (1, 1, 0, 50.0),
        ("month", "2026-11"): (1, 1, 0, 50.0),
    }
    requester = actor(session, make_user(session, admin, Role.REQUESTER))
    with pytest.raises(Forbidden):
        _report(session, requester)


def test_api_shape_and_refusals(
    session: Session, admin: Actor, frozen_clock: Clock, api_client: TestClient
) -> None:
    build(session, admin, frozen_clock)
    r = api_client.get("/api/v1/incidents/sla-report", params={"metric": "response", "from": "2026-10-01"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["metric"] == "response" and body["from"] == "2026-10-01" and body["to"] is None
    assert body["rows"][0] == {
        "dimension": "priority",
        "key": "P1",
        "met": 2,
        "breached": 2,
        "open": 0,
        "percent_met": 50.0,
    }
    assert {(x["dimension"], x["key"]): x["percent_met"] for x in body["rows"]}[("month", "2026-11")] == 66.7
    assert api_client.get("/api/v1/incidents/sla-report", params={"metric": "uptime"}).status_code == 422
    assert api_client.get("/api/v1/incidents/sla-report", params={"to": "0"}).status_code == 422
    bad = api_client.get("/api/v1/incidents/sla-report", params={"from": "2026-12-01", "to": "2026-11-01"})
    assert bad.status_code == 422
    requester = make_user(session, admin, Role.REQUESTER)
    token = api_token(session, requester.id)
    refused = api_client.get("/api/v1/incidents/sla-report", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 403 and refused.headers["content-type"].startswith(
        "application/problem+json"
    )


def test_page_tables_and_chart(
    db: Database, session: Session, admin: Actor, frozen_clock: Clock, web_client: WebClient
) -> None:
    build(session, admin, frozen_clock)
    page = web_client.get("/reports/sla?metric=response")
    assert page.status_code == 200
    html = page.text
    assert "SLA compliance" in html and 'href="/reports/sla" aria-current="page"' in html
    assert '<td class="num">66.7</td>' in html and "No team" in html
    assert 'src="/reports/sla/chart.svg?metric=response"' in html
    chart = web_client.get("/reports/sla/chart.svg?metric=response")
    assert chart.status_code == 200 and chart.headers["content-type"].startswith("image/svg+xml")
    assert "<svg" in chart.text and "<script" not in chart.text
    assert "script-src" not in chart.headers["content-security-policy"]
    assert ">P1<" in chart.text and ">2026-11<" in chart.text
    narrow = web_client.get("/reports/sla/chart.svg?metric=response&size=narrow")
    assert 'viewBox="0 0 340 380"' in narrow.text
    assert web_client.get("/reports/sla?from=2026-12-01&to=2026-11-01").status_code == 422
    requester = make_user(session, admin, Role.REQUESTER)
    with WebClient(create_app(db)) as other:
        login_as(other, session, requester.id)
        assert other.get("/reports/sla").status_code == 403
        assert other.get("/reports/sla/chart.svg").status_code == 403


def test_team_names_are_escaped_in_the_page_and_chart(
    session: Session, admin: Actor, frozen_clock: Clock, web_client: WebClient
) -> None:
    frozen_clock.now = NOV_2
    make_team(session, admin, name="<b>Ops</b>")
    _open(session, admin, "<b>Ops</b>")
    html = web_client.get("/reports/sla").text
    assert "<b>Ops</b>" not in html and "&lt;b&gt;Ops&lt;/b&gt;" in html


def test_cli_json_and_table(backend: str, tmp_path: Path, frozen_clock: Clock) -> None:
    runner = CliRunner()
    with fresh_database(backend, tmp_path) as url:
        migrate.upgrade(url)
        domains.load()
        database = Database(url)
        with database.unit_of_work() as s:
            made = auth_service.ensure_first_admin(s, "admin@vigil.example", None, generate=False)
            first = auth_service.actor_for(made[0], Channel.CLI)
            build(s, first, frozen_clock)
        database.engine.dispose()
        db = ["--database-url", url]
        result = runner.invoke(cli_app, ["report", "sla", "--metric", "response", "--json", *db])
        assert result.exit_code == 0, result.output
        body = json.loads(result.output)
        rows = {
            (r["dimension"], r["key"]): (r["met"], r["breached"], r["open"], r["percent_met"])
            for r in body["rows"]
        }
        assert rows == RESPONSE and body["metric"] == "response"
        result = runner.invoke(
            cli_app, ["report", "sla", "--from", "2026-11-01", *db], env={"COLUMNS": "100"}
        )
        assert result.exit_code == 0, result.output
        assert "No team" in result.output and "2026-11" in result.output and "2026-10" not in result.output
        bad = runner.invoke(cli_app, ["report", "sla", "--from", "2026-12-01", "--to", "2026-11-01", *db])
        assert bad.exit_code == 1 and "after" in bad.output


def test_the_cli_sends_the_api_the_same_filters(
    session: Session, admin: Actor, frozen_clock: Clock, api_client: TestClient
) -> None:
    """On a server the CLI calls the endpoint with `query(filters)`: the answer is the local one."""
    build(session, admin, frozen_clock)
    filters = SlaReportFilter.model_validate({"metric": "response", "from": "2026-11-01", "to": "2026-11-30"})
    params = query(filters)
    assert params == {"metric": "response", "from": "2026-11-01", "to": "2026-11-30"}
    remote = SlaReport.model_validate(api_client.get("/api/v1/incidents/sla-report", params=params).json())
    assert remote == sla_report.report(session=session, actor=admin, filters=filters)


def test_months_are_utc_whatever_the_database_session_zone(
    session: Session, admin: Actor, frozen_clock: Clock, backend: str
) -> None:
    frozen_clock.now = datetime(2026, 10, 31, 23, 30, tzinfo=UTC)  # already November in Auckland
    _open(session, admin, None)
    frozen_clock.advance(hours=2)
    if backend == "postgresql":
        session.execute(text("SET LOCAL TIME ZONE 'Pacific/Auckland'"))
    rows = table(_report(session, admin, metric="response", to="2026-10-31"))
    assert rows[("month", "2026-10")] == (0, 1, 0, 0.0)  # 15 min target, still running hours later
    assert _report(session, admin, **{"from": "2026-11-01"}).rows == []


def test_one_query_whatever_the_number_of_incidents(
    session: Session, admin: Actor, frozen_clock: Clock, count_queries: Callable[[], list[str]]
) -> None:
    build(session, admin, frozen_clock)
    before = len(count_queries())
    _report(session, admin, metric="response")
    assert len(count_queries()) - before == 1
