"""The inbox over REST: list (unread filter, cursor), count, mark one and all read; others' are 404."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories.auth import api_token, make_user
from vigil.auth.roles import Role
from vigil.core.actor import Actor
from vigil.notifications import service
from vigil.notifications.models import Kind

PROBLEM = "application/problem+json"


def test_a_requester_works_their_inbox(api_client: TestClient, session: Session, admin: Actor) -> None:
    me, other = make_user(session, admin, Role.REQUESTER), make_user(session, admin, Role.AGENT)
    mine = [
        service.deliver(session=session, user_ids=[me.id], kind=Kind.COMMENTED, title=f"reply {i}",
                        link="/incidents/INC-000001")[0]
        for i in range(3)
    ]  # fmt: skip
    (theirs,) = service.deliver(session=session, user_ids=[other.id], kind=Kind.ASSIGNED, title="not yours")
    api_client.headers["Authorization"] = f"Bearer {api_token(session, me.id)}"

    assert api_client.get("/api/v1/notifications/unread-count").json() == {"unread": 3, "capped": False}
    page = api_client.get("/api/v1/notifications", params={"limit": 2}).json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = api_client.get("/api/v1/notifications", params={"limit": 2, "cursor": page["next_cursor"]}).json()
    ids = {i["id"] for i in page["items"] + rest["items"]}
    assert ids == {str(n.id) for n in mine} and rest["next_cursor"] is None
    assert page["items"][0]["link"] == "/incidents/INC-000001" and page["items"][0]["kind"] == "commented"

    r = api_client.post(f"/api/v1/notifications/{mine[0].id}/read")
    assert r.status_code == 200 and r.json()["read_at"] is not None
    unread = api_client.get("/api/v1/notifications", params={"unread": "true"}).json()["items"]
    assert {i["id"] for i in unread} == {str(mine[1].id), str(mine[2].id)}

    r = api_client.post(f"/api/v1/notifications/{theirs.id}/read")
    assert r.status_code == 404 and r.headers["content-type"] == PROBLEM
    assert api_client.post("/api/v1/notifications/not-a-uuid/read").status_code == 422
    assert api_client.get("/api/v1/notifications", params={"cursor": "junk"}).status_code == 422

    assert api_client.post("/api/v1/notifications/read-all").json() == {"marked": 2}
    assert api_client.get("/api/v1/notifications/unread-count").json()["unread"] == 0
    assert theirs.read_at is None


def test_the_inbox_needs_a_token(api_client: TestClient) -> None:
    del api_client.headers["Authorization"]
    r = api_client.get("/api/v1/notifications")
    assert r.status_code == 401 and r.headers["content-type"] == PROBLEM
