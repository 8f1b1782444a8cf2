"""What a requester sees: no staff-only controls, no directory of other people, actions they may take."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories.auth import WebClient, actor, api_token, login_as, make_user
from tests.factories.incidents import make_incident
from vigil.app import create_app
from vigil.auth.roles import Role
from vigil.core.actor import Actor
from vigil.core.db import Database


def test_requester_pages_offer_only_what_a_requester_may_do(
    db: Database, session: Session, admin: Actor
) -> None:
    requester = make_user(session, admin, Role.REQUESTER, name="rita")
    agent = make_user(session, admin, Role.AGENT, name="secret-agent")
    number = make_incident(session, actor(session, requester), title="VPN down").number
    with WebClient(create_app(db)) as web:
        login_as(web, session, requester.id)
        new = web.get("/incidents/new").text
        assert 'name="title"' in new and 'name="priority"' not in new and 'name="assigned_to"' not in new
        assert agent.display_name not in new, "requesters get no directory of other people"
        page = web.get(f"/incidents/{number}").text  # the portal's page of it (docs/portal.md)
        assert "Assignment" not in page and 'name="internal"' not in page
        assert "/acknowledge" not in page and "/resolve" not in page
        assert f"/portal/{number}/withdraw" in page and "Send reply" in page
        assert agent.display_name not in web.get("/incidents").text
    with TestClient(create_app(db)) as api:
        api.headers["Authorization"] = f"Bearer {api_token(session, requester.id)}"
        assert api.get(f"/api/v1/incidents/{number}").json()["allowed_actions"] == ["cancel"]
        api.headers["Authorization"] = f"Bearer {api_token(session, agent.id)}"
        assert api.get(f"/api/v1/incidents/{number}").json()["allowed_actions"] == [
            "acknowledge",
            "resolve",
            "cancel",
        ]
