"""Escalation on both databases: functional along the configured L1-L4 chain of teams, hierarchical to
the group's manager, by hand with a reason (service, API, page, CLI) and by the SLA thresholds through
the worker; refusals where there is nowhere to go."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import Clock
from tests.factories.auth import WebClient, actor, api_token, make_user
from tests.factories.incidents import make_incident
from vigil.auth import service as auth_service
from vigil.auth.models import Team, User
from vigil.auth.roles import Role
from vigil.auth.schemas import TeamCreate
from vigil.core.actor import Actor
from vigil.core.audit import AuditRecord
from vigil.core.db import Database
from vigil.core.errors import Conflict, Forbidden
from vigil.core.jobs import worker
from vigil.incidents import service
from vigil.incidents.schemas import EscalationLevelSet, IncidentEscalate
from vigil.sla import service as sla


def _team(session: Session, admin: Actor, name: str, *members: User, manager: User | None = None) -> Team:
    return auth_service.create_team(
        session=session,
        actor=admin,
        data=TeamCreate(
            name=name, members=[m.email for m in members], manager=manager.email if manager else None
        ),
    )


@pytest.fixture
def chain(session: Session, admin: Actor) -> dict[str, object]:
    """L1 Service desk (agent, managed by a manager) and L2 Network (another agent); no L3."""
    agent = make_user(session, admin)
    network_agent = make_user(session, admin)
    boss = make_user(session, admin, role=Role.MANAGER, name="boss")
    desk = _team(session, admin, "Service desk", agent, manager=boss)
    network = _team(session, admin, "Network", network_agent)
    for level, name, team in ((1, "L1 Service desk", desk), (2, "L2 Network", network)):
        service.escalation.set_level(
            session=session, actor=admin, level=level, data=EscalationLevelSet(name=name, team=team.name)
        )
    return {"agent": agent, "network_agent": network_agent, "boss": boss, "desk": desk, "network": network}


def test_functional_escalation_moves_it_up_the_chain(
    session: Session, admin: Actor, chain: dict[str, object]
) -> None:
    agent = chain["agent"]
    assert isinstance(agent, User)
    made = make_incident(session, admin, assignment_group="Service desk", assigned_to=agent.email)
    done = service.escalation.escalate(
        session=session, actor=admin, ref=made.number, data=IncidentEscalate(reason="needs the network team")
    )
    read = service.to_read(done, admin)
    assert read.escalation_level == 2 and read.assignment_group and read.assignment_group.name == "Network"
    assert read.assigned_to is None  # the L1 agent is not in the Network team: the new team picks it up
    timeline = service.timeline(session=session, actor=admin, ref=made.number)
    assert any(e.summary == "escalated it to L2 (Network): needs the network team" for e in timeline)
    with pytest.raises(Conflict, match="L3 has no team"):
        service.escalation.escalate(
            session=session, actor=admin, ref=made.number, data=IncidentEscalate(reason="more")
        )
    with pytest.raises(Conflict, match="already at L2"):
        service.escalation.escalate(
            session=session, actor=admin, ref=made.number, data=IncidentEscalate(reason="x", to_level=2)
        )


def test_hierarchical_escalation_brings_in_the_manager(
    session: Session, admin: Actor, chain: dict[str, object]
) -> None:
    boss = chain["boss"]
    assert isinstance(boss, User)
    made = make_incident(session, admin, assignment_group="Service desk")
    service.escalation.escalate(
        session=session,
        actor=admin,
        ref=made.number,
        data=IncidentEscalate(kind="hierarchical", reason="customer is furious"),
    )
    read = service.to_read(service.get(session=session, actor=admin, ref=made.number), admin)
    assert (
        read.escalation_level == 1 and read.assignment_group and read.assignment_group.name == "Service desk"
    )
    record = session.scalars(select(AuditRecord).where(AuditRecord.action == "incident.escalate")).one()
    assert record.changes["manager"] == [None, boss.email]
    timeline = service.timeline(session=session, actor=admin, ref=made.number)
    assert any(
        e.summary == f"brought in {boss.display_name} (hierarchical escalation): customer is furious"
        for e in timeline
    )
    lone = make_incident(session, admin, assignment_group="Network")  # a team without a manager
    with pytest.raises(Conflict, match="no group with a manager"):
        service.escalation.escalate(
            session=session,
            actor=admin,
            ref=lone.number,
            data=IncidentEscalate(kind="hierarchical", reason="x"),
        )


def test_requesters_cannot_escalate_or_configure(
    session: Session, admin: Actor, chain: dict[str, object]
) -> None:
    requester = actor(session, make_user(session, admin, role=Role.REQUESTER))
    made = make_incident(session, requester)
    with pytest.raises(Forbidden):
        service.escalation.escalate(
            session=session, actor=requester, ref=made.number, data=IncidentEscalate(reason="x")
        )
    agent = chain["agent"]
    assert isinstance(agent, User)
    with pytest.raises(Forbidden):
        service.escalation.set_level(
            session=session,
            actor=actor(session, agent),
            level=3,
            data=EscalationLevelSet(name="L3", team="Network"),
        )


def test_the_sla_thresholds_escalate_through_the_worker(
    db: Database, session: Session, admin: Actor, chain: dict[str, object], frozen_clock: Clock
) -> None:
    """P1 (4 h resolution around the clock): at 90 % the manager is brought in, at 100 % it goes to L2."""
    with db.unit_of_work() as s:
        made = make_incident(s, admin, impact="high", urgency="high", assignment_group="Service desk")
        s.expunge_all()
    number = made.number
    frozen_clock.advance(hours=3, minutes=40)  # 91.7 % of 4 h (and the 15 min response long breached)
    with db.unit_of_work() as s:
        assert sla.sweep(s) == 5  # response 75, 90, 100 and resolution 75, 90
    worker.run_pending(db)
    with db.unit_of_work() as s:
        actions = list(s.scalars(select(AuditRecord.action).where(AuditRecord.action == "incident.escalate")))
        assert len(actions) == 1  # hierarchical, once
        assert service.get(session=s, actor=admin, ref=number).escalation_level == 1
    frozen_clock.advance(minutes=30)  # past 100 %
    with db.unit_of_work() as s:
        sla.sweep(s)
    worker.run_pending(db)
    with db.unit_of_work() as s:
        i = service.get(session=s, actor=admin, ref=number)
        assert (
            i.escalation_level == 2
            and i.assignment_group is not None
            and i.assignment_group.name == "Network"
        )
        summaries = [e.summary for e in service.timeline(session=s, actor=admin, ref=number)]
        assert "escalated it to L2 (Network): SLA: 100 % of the resolution time used" in summaries


def test_the_api_escalates_and_manages_the_chain(
    api_client: TestClient, session: Session, admin: Actor, chain: dict[str, object]
) -> None:
    made = api_client.post(
        "/api/v1/incidents", json={"title": "VPN down", "assignment_group": "Service desk"}
    )
    number = made.json()["number"]
    bad = api_client.post(f"/api/v1/incidents/{number}/escalate", json={"kind": "sideways", "reason": "x"})
    assert bad.status_code == 422
    assert api_client.post(f"/api/v1/incidents/{number}/escalate", json={}).status_code == 422
    done = api_client.post(f"/api/v1/incidents/{number}/escalate", json={"reason": "network"})
    assert done.status_code == 200, done.text
    assert done.json()["escalation_level"] == 2 and done.json()["assignment_group"]["name"] == "Network"
    again = api_client.post(f"/api/v1/incidents/{number}/escalate", json={"reason": "more"})
    assert again.status_code == 409 and "L3 has no team" in again.json()["detail"]
    levels = api_client.get("/api/v1/incident-escalation-levels").json()["items"]
    assert [(r["level"], r["team"]["name"]) for r in levels] == [(1, "Service desk"), (2, "Network")]
    put = api_client.put(
        "/api/v1/incident-escalation-levels/3", json={"name": "L3 Vendor", "team": "Network"}
    )
    assert put.status_code == 200 and put.json()["level"] == 3
    assert (
        api_client.put(
            "/api/v1/incident-escalation-levels/5", json={"name": "x", "team": "Network"}
        ).status_code
        == 404
    )
    assert (
        api_client.put(
            "/api/v1/incident-escalation-levels/3", json={"name": "x", "team": "Nobody"}
        ).status_code
        == 422
    )
    assert api_client.delete("/api/v1/incident-escalation-levels/3").status_code == 204
    agent = chain["agent"]
    assert isinstance(agent, User)
    api_client.headers["Authorization"] = f"Bearer {api_token(session, agent.id, 'write')}"
    assert (
        api_client.put(
            "/api/v1/incident-escalation-levels/3", json={"name": "x", "team": "Network"}
        ).status_code
        == 403
    )


def test_the_page_escalates_with_a_reason(
    web_client: WebClient, session: Session, admin: Actor, chain: dict[str, object]
) -> None:
    made = make_incident(session, admin, assignment_group="Service desk")
    page = web_client.get(f"/incidents/{made.number}").text
    assert "Escalate (now at L1)" in page and "Support level" in page
    refused = web_client.post(f"/incidents/{made.number}/escalate", data={"kind": "functional", "reason": ""})
    assert refused.status_code == 422 and "escalate-reason" in refused.text
    done = web_client.post(
        f"/incidents/{made.number}/escalate", data={"kind": "functional", "reason": "network", "version": "1"}
    )
    assert done.status_code == 200 and "Escalated." in done.text and "L2" in done.text
