"""Teams and the directory: readable members and managers, updates by administrators, the people page."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories.auth import WebClient, actor, api_token, login_as, make_team, make_user
from vigil.app import create_app
from vigil.auth import service
from vigil.auth.roles import Role
from vigil.auth.schemas import TeamUpdate
from vigil.core.actor import Actor
from vigil.core.audit import for_object
from vigil.core.db import Database
from vigil.core.errors import Conflict, Forbidden, Invalid, NotFound


def test_update_team_renames_changes_manager_and_members_audited(session: Session, admin: Actor) -> None:
    ann, bob = make_user(session, admin, Role.AGENT, "ann"), make_user(session, admin, Role.MANAGER, "bob")
    team = make_team(session, admin, ann, name="Desk")
    data = TeamUpdate(name="Service Desk", manager=bob.email, members=[ann.email, bob.email, ann.email])
    updated = service.update_team(session=session, actor=admin, ref="Desk", data=data)
    assert updated.name == "Service Desk" and updated.manager_id == bob.id
    assert sorted(u.email for u in updated.members) == sorted([ann.email, bob.email])
    record = for_object(session, "team", team.id)[-1]
    assert record.action == "team.update"
    assert record.changes["name"] == ["Desk", "Service Desk"]
    assert record.changes["manager"] == [None, bob.email]
    again = service.update_team(session=session, actor=admin, ref=team.id, data=TeamUpdate(manager=None))
    assert again.manager is None


def test_update_team_refuses_duplicates_unknown_members_and_non_admins(
    session: Session, admin: Actor
) -> None:
    agent = make_user(session, admin, Role.AGENT)
    make_team(session, admin, name="Network")
    make_team(session, admin, agent, name="Desk")
    with pytest.raises(Conflict):
        service.update_team(session=session, actor=admin, ref="Desk", data=TeamUpdate(name="Network"))
    with pytest.raises(Invalid):
        service.update_team(
            session=session, actor=admin, ref="Desk", data=TeamUpdate(members=["nobody@x.io"])
        )
    with pytest.raises(Forbidden):
        service.update_team(
            session=session, actor=actor(session, agent), ref="Desk", data=TeamUpdate(name="X")
        )


def test_requesters_see_only_themselves_and_their_teams(session: Session, admin: Actor) -> None:
    requester, other = make_user(session, admin, Role.REQUESTER), make_user(session, admin, Role.REQUESTER)
    make_team(session, admin, requester, name="Finance")
    make_team(session, admin, name="Network")
    me = actor(session, requester)
    assert [u.id for u in service.list_users(session=session, actor=me)] == [requester.id]
    assert [t.name for t in service.list_teams(session=session, actor=me)] == ["Finance"]
    assert service.get_user(session=session, actor=me, ref=requester.email).id == requester.id
    with pytest.raises(NotFound):
        service.get_user(session=session, actor=me, ref=other.email)
    with pytest.raises(NotFound):
        service.get_team(session=session, actor=me, ref="Network")
    staff = actor(session, make_user(session, admin, Role.AGENT))
    assert {t.name for t in service.list_teams(session=session, actor=staff)} >= {"Finance", "Network"}


def test_teams_api_shows_members_and_manager(db: Database, session: Session, admin: Actor) -> None:
    ann = make_user(session, admin, Role.AGENT, "ann")
    with TestClient(create_app(db)) as client:
        client.headers["Authorization"] = f"Bearer {api_token(session, admin.user_id, 'admin')}"
        r = client.post("/api/v1/teams", json={"name": "Desk", "members": [ann.email], "manager": ann.email})
        assert r.status_code == 201, r.text
        assert r.json()["manager"]["email"] == ann.email and [m["email"] for m in r.json()["members"]] == [
            ann.email
        ]
        r = client.patch("/api/v1/teams/Desk", json={"name": "Service Desk", "members": []})
        assert r.status_code == 200 and r.json()["name"] == "Service Desk" and r.json()["members"] == []
        assert client.get("/api/v1/teams/Service Desk").status_code == 200
        assert client.get("/api/v1/teams/Desk").status_code == 404
        assert client.get(f"/api/v1/users/{ann.email}").json()["role"] == "agent"
        listed = client.get("/api/v1/teams").json()["items"]
        assert [t["name"] for t in listed] == ["Service Desk"]


def test_people_page_manages_users_and_teams(db: Database, session: Session, admin: Actor) -> None:
    with WebClient(create_app(db)) as client:
        login_as(client, session, admin.user_id)
        assert client.get("/admin/people").status_code == 200
        r = client.post("/admin/people/users", data={"email": "Zoe@Example.com", "role": "agent"})
        assert r.status_code == 200 and "User created" in r.text and "zoe@example.com" in r.text
        zoe = service.resolve_user(session, "zoe@example.com")
        r = client.post("/admin/people/teams", data={"name": "Night shift", "manager": str(zoe.id)})
        assert r.status_code == 200 and "Night shift" in r.text
        team = service.get_team(session=session, actor=admin, ref="Night shift")
        r = client.post(
            f"/admin/people/teams/{team.id}", data={"name": "Night shift", "members": [str(zoe.id)]}
        )
        assert r.status_code == 200 and "Team updated" in r.text
        session.expire_all()
        assert [u.email for u in service.get_team(session=session, actor=admin, ref=team.id).members] == [
            zoe.email
        ]
        r = client.post(f"/admin/people/users/{zoe.id}", data={"active": "false"})
        assert r.status_code == 200
        session.expire_all()
        assert service.resolve_user(session, zoe.email, include_inactive=True).active is False
        r = client.post("/admin/people/users", data={"email": "not-an-email", "role": "agent"})
        assert r.status_code == 422 and "email" in r.text


def test_people_page_is_for_administrators_only(db: Database, session: Session, admin: Actor) -> None:
    agent = make_user(session, admin, Role.MANAGER)
    with WebClient(create_app(db)) as client:
        login_as(client, session, agent.id)
        assert client.get("/admin/people").status_code == 403
        assert (
            client.post("/admin/people/users", data={"email": "x@example.com", "role": "admin"}).status_code
            == 403
        )
    assert not any(u.email == "x@example.com" for u in service.list_users(session=session, actor=admin))
