"""The agent's queue page: views with live counts, saved personal views, closed and cancelled hidden unless
asked for, chosen columns, sorting by header, previous and next pages."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories.auth import WebClient, actor, login_as, make_team, make_user
from tests.factories.incidents import make_incident
from vigil.app import create_app
from vigil.auth.roles import Role
from vigil.core import savedviews
from vigil.core.actor import Actor
from vigil.core.audit import AuditRecord
from vigil.core.db import Database
from vigil.incidents import service
from vigil.incidents.schemas import IncidentFilter, IncidentNote, IncidentResolve, IncidentUpdate

QUEUE_ROW = re.compile(r'<td[^>]*><a href="/incidents/(INC-\d{6})">')
VIEW_COUNT = re.compile(
    r'<a href="/incidents\?view=(\w+)"[^>]*><span>([^<]+)</span> <span class="count">(\d+\+?)</span>'
)
SAVED = re.compile(r'<li><a href="(/incidents\?[^"]*)">([^<]+)</a>')


def counts(page: str) -> dict[str, str]:
    return {key: count for key, _label, count in VIEW_COUNT.findall(page)}


def rows(client: TestClient, query: str = "") -> list[str]:
    r = client.get(f"/incidents{query}")
    assert r.status_code == 200, r.text
    return QUEUE_ROW.findall(r.text)


@pytest.fixture
def desk(session: Session, admin: Actor) -> dict[str, Any]:
    """An agent in the network team, and incidents: two of the agent's (one closed), one unassigned in
    the team, one in another team's queue (the agent does not see it), one cancelled."""
    agent = make_user(session, admin, Role.AGENT, name="queue.agent")
    other = make_user(session, admin, Role.AGENT, name="other.agent")
    make_team(session, admin, agent, name="Network")
    make_team(session, admin, other, name="Storage")

    def incident(title: str, **fields: Any) -> str:
        return make_incident(session, admin, title=title, **fields).number

    mine = incident("Router flapping", assigned_to=str(agent.id), assignment_group="Network")
    done = incident("Old switch alarm", assigned_to=str(agent.id), assignment_group="Network")
    service.resolve(session=session, actor=admin, ref=done, data=IncidentResolve(resolution_notes="Replaced"))
    service.close(session=session, actor=admin, ref=done, data=IncidentNote())
    unassigned = incident("Packet loss on uplink", assignment_group="Network")
    elsewhere = incident("Disk array degraded", assignment_group="Storage")
    cancelled = incident("Test incident, ignore")
    service.cancel(session=session, actor=admin, ref=cancelled, data=IncidentNote())
    return {
        "agent": agent,
        "mine": mine,
        "done": done,
        "unassigned": unassigned,
        "elsewhere": elsewhere,
        "cancelled": cancelled,
    }


@pytest.fixture
def agent_client(db: Database, session: Session, desk: dict[str, Any]) -> Any:
    with WebClient(create_app(db)) as client:
        login_as(client, session, desk["agent"].id)
        yield client


def test_views_show_live_counts_for_the_agent(agent_client: TestClient, desk: dict[str, Any]) -> None:
    page = agent_client.get("/incidents").text
    assert counts(page) == {
        "mine": "1",
        "unassigned": "1",
        "teams": "2",
        "sla": "0",
        "recent": "2",
        "all": "2",
    }
    assert rows(agent_client, "?view=mine") == [desk["mine"]]
    assert rows(agent_client, "?view=unassigned") == [desk["unassigned"]]
    assert set(rows(agent_client, "?view=teams")) == {desk["mine"], desk["unassigned"]}
    assert 'href="/incidents?view=mine" aria-current="page"' in agent_client.get("/incidents?view=mine").text


def test_counts_follow_changes(
    agent_client: TestClient, session: Session, admin: Actor, desk: dict[str, Any]
) -> None:
    service.update(
        session=session,
        actor=admin,
        ref=desk["unassigned"],
        data=IncidentUpdate(assigned_to=str(desk["agent"].id)),
    )
    assert counts(agent_client.get("/incidents").text)["mine"] == "2"
    assert counts(agent_client.get("/incidents").text)["unassigned"] == "0"


def test_a_count_beyond_its_bound_is_shown_as_a_lower_bound(
    session: Session, admin: Actor, desk: dict[str, Any]
) -> None:
    filters = IncidentFilter()
    assert service.count_incidents(session=session, actor=admin, filters=filters, bound=2) == (2, False)
    assert service.count_incidents(session=session, actor=admin, filters=filters, bound=5) == (5, True)


def test_closed_and_cancelled_are_hidden_unless_asked_for(
    agent_client: TestClient, desk: dict[str, Any]
) -> None:
    shown = set(rows(agent_client))
    assert shown == {desk["mine"], desk["unassigned"]}
    assert set(rows(agent_client, "?closed=1")) == shown | {desk["done"], desk["cancelled"]}
    assert rows(agent_client, "?status=closed") == [desk["done"]]
    empty = agent_client.get("/incidents?q=ignore").text
    assert "Closed and cancelled ones are hidden" in empty
    assert rows(agent_client, "?q=ignore&closed=1") == [desk["cancelled"]]


def test_a_requester_gets_the_portal_not_the_queue(
    db: Database, session: Session, admin: Actor, desk: dict[str, Any]
) -> None:
    """Requesters have their own pages (docs/portal.md): the queue sends them to My requests."""
    requester = make_user(session, admin, Role.REQUESTER, name="rita.requester")
    number = make_incident(session, actor(session, requester), title="My laptop will not boot").number
    with WebClient(create_app(db)) as client:
        login_as(client, session, requester.id)
        r = client.get("/incidents?view=all", follow_redirects=False)
        assert (r.status_code, r.headers["location"]) == (303, "/portal")
        page = client.get("/portal").text
    assert number in page and "Views" not in page
    assert all(n not in page for n in desk.values() if isinstance(n, str) and n.startswith("INC-"))


def test_chosen_columns_and_sorting_by_header(agent_client: TestClient, desk: dict[str, Any]) -> None:
    page = agent_client.get("/incidents?cols=category&cols=requester&cols=bogus").text
    headers = re.findall(r"<th[^>]*>(?:<a [^>]*>)?([^<]+)", page)
    assert [h.strip(" ↑↓") for h in headers if h.strip()] == ["Number", "Title", "Category", "Requester"]
    # Clicking "Number" sorts descending, clicking again ascending; the chosen columns are kept.
    link = re.search(r'<th aria-sort="none"><a href="([^"]+)">Number', page)
    assert link is not None
    down = html.unescape(link.group(1))
    assert "sort=-number" in down and "cols=category" in down
    page = agent_client.get(down).text
    assert 'aria-sort="descending"' in page
    numbers = QUEUE_ROW.findall(page)
    assert numbers == sorted(numbers, reverse=True)
    up = re.search(r'<th aria-sort="descending"><a href="([^"]+)">Number', page)
    assert up is not None and "sort=number" in html.unescape(up.group(1))


def test_page_size_is_offered_and_applied(agent_client: TestClient, desk: dict[str, Any]) -> None:
    page = agent_client.get("/incidents?limit=25&closed=1").text
    assert "<option selected>25</option>" in page
    assert len(QUEUE_ROW.findall(page)) == 4


def test_saved_views_replay_their_filters_and_are_personal(
    agent_client: TestClient, db: Database, session: Session, admin: Actor, desk: dict[str, Any]
) -> None:
    r = agent_client.post(
        "/incidents/views",
        data={"name": "  Network   uplinks ", "query": "q=uplink&cursor=abc&trail=-&cols=category"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert "cursor" not in r.headers["location"] and "trail" not in r.headers["location"]
    page = agent_client.get("/incidents").text
    saved = SAVED.findall(page)
    assert [name for _, name in saved] == ["Network uplinks"]
    assert rows(agent_client, html.unescape(saved[0][0]).removeprefix("/incidents")) == [desk["unassigned"]]

    again = agent_client.post("/incidents/views", data={"name": "network UPLINKS", "query": "q=x"})
    assert again.status_code == 409
    assert "already have a view named" in html.unescape(again.text)
    unnamed = agent_client.post("/incidents/views", data={"name": "   ", "query": "q=x"})
    assert unnamed.status_code == 422

    # Nobody else sees or deletes it.
    view = session.scalars(select(savedviews.SavedView)).one()
    with WebClient(create_app(db)) as other:
        login_as(other, session, admin.user_id)
        assert "Network uplinks" not in other.get("/incidents").text
        assert other.post(f"/incidents/views/{view.id}/delete").status_code == 404
    assert session.scalars(select(savedviews.SavedView)).one().id == view.id

    gone = agent_client.post(f"/incidents/views/{view.id}/delete", follow_redirects=False)
    assert gone.status_code == 303
    assert SAVED.findall(agent_client.get("/incidents").text) == []
    actions = session.scalars(
        select(AuditRecord.action)
        .where(AuditRecord.object_type == "saved_view")
        .order_by(AuditRecord.occurred_at)
    ).all()
    assert actions == ["saved_view.create", "saved_view.delete"]


def test_a_view_limit_and_the_query_length_are_enforced(session: Session, admin: Actor) -> None:
    for n in range(savedviews.MAX_VIEWS):
        savedviews.save(session, admin, list_name="incidents", name=f"View {n}", query=f"q={n}")
    with pytest.raises(savedviews.Invalid, match="delete one"):
        savedviews.save(session, admin, list_name="incidents", name="One more", query="q=x")
    with pytest.raises(savedviews.Invalid, match="too long"):
        savedviews.save(session, admin, list_name="other", name="Long", query="q=" + "x" * 2100)
    assert savedviews.clean_query("trail=-&b=2&a=1&cursor=zz&csrf_token=t") == "a=1&b=2"
