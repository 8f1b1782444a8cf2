"""Every list is `{items, next_cursor}` with `limit`, a cursor that continues it, and an opt-in count."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories.auth import api_token, make_team, make_user
from vigil.auth.models import User
from vigil.auth.roles import Role
from vigil.cmdb import service as cmdb_service
from vigil.cmdb.schemas import CICreate
from vigil.core import pagination
from vigil.core.actor import Actor

LISTS = ["/api/v1/users", "/api/v1/teams", "/api/v1/tokens", "/api/v1/cis", "/api/v1/incidents"]


@pytest.fixture
def filled(session: Session, admin: Actor) -> None:
    """At least three of everything the lists show."""
    for i in range(3):
        agent = make_user(session, admin, Role.AGENT)
        make_team(session, admin, agent, name=f"Queue {i}")
        cmdb_service.create(session=session, actor=admin, data=CICreate(name=f"db-{i}"))
        api_token(session, admin.user_id)


def _walk(client: TestClient, path: str) -> list[dict]:  # type: ignore[type-arg]
    seen, cursor = [], None
    for _ in range(50):
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        answer = client.get(path, params=params)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert set(body) >= {"items", "next_cursor"} and len(body["items"]) <= 2
        seen += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return seen
    raise AssertionError("the cursor never ended")


@pytest.mark.usefixtures("filled")
@pytest.mark.parametrize("path", LISTS)
def test_walking_the_pages_sees_everything_once(api_client: TestClient, path: str) -> None:
    for _ in range(3):
        api_client.post("/api/v1/incidents", json={"title": "Disk full"})
    whole = api_client.get(path, params={"limit": 200, "count": "true"}).json()
    walked = _walk(api_client, path)
    assert [i["id"] for i in walked] == [i["id"] for i in whole["items"]] and len(walked) >= 3
    assert whole["count"] == len(whole["items"]) and whole["count_exact"] is True
    assert whole["next_cursor"] is None


@pytest.mark.usefixtures("filled")
def test_a_cursor_belongs_to_its_list(api_client: TestClient) -> None:
    cursor = api_client.get("/api/v1/users", params={"limit": 1}).json()["next_cursor"]
    wrong = api_client.get("/api/v1/teams", params={"cursor": cursor})
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "cursor"
    assert api_client.get("/api/v1/cis", params={"limit": 0}).status_code == 422
    assert api_client.get("/api/v1/cis", params={"limit": 201}).status_code == 422


def test_categories_are_one_counted_page(api_client: TestClient) -> None:
    body = api_client.get("/api/v1/incident-categories").json()
    assert body["next_cursor"] is None and body["count"] == len(body["items"]) >= 6


@pytest.mark.usefixtures("filled")
def test_a_count_beyond_its_bound_is_flagged_as_inexact(session: Session) -> None:
    stmt = select(User.id)
    total = len(session.scalars(stmt).all())
    assert pagination.count(session, stmt, bound=total) == (total, True)
    estimated, exact = pagination.count(session, stmt, bound=2)
    assert not exact and estimated >= 3  # PostgreSQL: the planner's estimate; SQLite: more than the bound


def test_sync_clients_ask_for_what_changed_since(api_client: TestClient) -> None:
    first = api_client.post("/api/v1/incidents", json={"title": "Old one"}).json()
    second = api_client.post("/api/v1/incidents", json={"title": "New one"}).json()
    since = second["updated_at"]
    api_client.patch(f"/api/v1/incidents/{first['number']}", json={"title": "Old one, edited"})
    changed = api_client.get(
        "/api/v1/incidents", params={"updated_after": since, "sort": "updated_at"}
    ).json()
    assert [i["number"] for i in changed["items"]] == [second["number"], first["number"]]


def test_fields_trims_each_item(api_client: TestClient) -> None:
    api_client.post("/api/v1/incidents", json={"title": "Disk full"})
    trimmed = api_client.get("/api/v1/incidents", params={"fields": "number,title, status"}).json()
    assert trimmed["items"] and all(set(i) == {"number", "title", "status"} for i in trimmed["items"])
    bad = api_client.get("/api/v1/incidents", params={"fields": "number,password"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "fields" and "password" in bad.text
