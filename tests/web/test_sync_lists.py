"""Sync clients on every list: `updated_after` keeps what changed since their last run, `sort=updated_at`
walks it oldest change first with a cursor (users, teams, CIs and categories, like incidents)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.conftest import Clock
from tests.factories.auth import api_token, make_team, make_user
from vigil.auth.roles import Role
from vigil.cmdb import service as cmdb_service
from vigil.cmdb.schemas import CICreate
from vigil.core.actor import Actor
from vigil.incidents.service import categories


def _walk(client: TestClient, path: str, **params: str) -> list[dict]:  # type: ignore[type-arg]
    seen, cursor = [], None
    for _ in range(20):
        answer = client.get(path, params={**params, "limit": 1, **({"cursor": cursor} if cursor else {})})
        assert answer.status_code == 200, answer.text
        seen += answer.json()["items"]
        cursor = answer.json()["next_cursor"]
        if cursor is None:
            return seen
    raise AssertionError("the cursor never ended")


def test_each_list_gives_what_changed_since_oldest_change_first(
    frozen_clock: Clock, api_client: TestClient, session: Session, admin: Actor
) -> None:
    alice = make_user(session, admin, Role.AGENT, name="alice")
    bob = make_user(session, admin, Role.AGENT, name="bob")
    make_team(session, admin, alice, name="Storage")
    make_team(session, admin, bob, name="Network")
    for name in ("san-01", "core-rtr-01"):
        cmdb_service.create(session=session, actor=admin, data=CICreate(name=name))
    categories.add(session=session, actor=admin, name="Backup")
    categories.add(session=session, actor=admin, name="Telephony")
    frozen_clock.advance(days=3650)  # past the seeded categories' migration time, which is real time
    since = frozen_clock().isoformat()
    api_client.headers["Authorization"] = f"Bearer {api_token(session, admin.user_id, 'admin')}"

    # Changes after `since`, in this order: Network's members, Bob deactivated, a new CI, a category, Storage.
    frozen_clock.advance(minutes=1)
    assert api_client.patch("/api/v1/teams/Network", json={"members": [alice.email]}).status_code == 200
    frozen_clock.advance(minutes=1)
    assert api_client.patch(f"/api/v1/users/{bob.email}", json={"active": False}).status_code == 200
    frozen_clock.advance(minutes=1)
    assert api_client.post("/api/v1/cis", json={"name": "fw-01"}).status_code == 201  # CIs are not edited yet
    frozen_clock.advance(minutes=1)
    assert (
        api_client.patch("/api/v1/incident-categories/Telephony", json={"active": False}).status_code == 200
    )
    frozen_clock.advance(minutes=1)
    assert api_client.patch("/api/v1/teams/Storage", json={"name": "Storage Ops"}).status_code == 200

    synced = {"updated_after": since, "sort": "updated_at"}
    assert [t["name"] for t in _walk(api_client, "/api/v1/teams", **synced)] == ["Network", "Storage Ops"]
    # A sync client learns of deactivations too; the plain list shows active users only.
    assert [u["email"] for u in _walk(api_client, "/api/v1/users", **synced)] == [bob.email]
    assert bob.email not in [u["email"] for u in _walk(api_client, "/api/v1/users")]
    assert [c["name"] for c in _walk(api_client, "/api/v1/cis", **synced)] == ["fw-01"]
    cats = api_client.get("/api/v1/incident-categories", params=synced).json()["items"]
    assert [c["name"] for c in cats] == ["Telephony"]
    # Without sort=updated_at a list keeps its natural order; items carry updated_at.
    teams = _walk(api_client, "/api/v1/teams", updated_after=since)
    assert [t["name"] for t in teams] == ["Network", "Storage Ops"]
    assert all(t["updated_at"] > since for t in teams)


@pytest.mark.parametrize(
    "path", ["/api/v1/users", "/api/v1/teams", "/api/v1/cis", "/api/v1/incident-categories"]
)
def test_a_bad_sync_query_is_a_422(api_client: TestClient, path: str) -> None:
    for params in ({"updated_after": "yesterday"}, {"sort": "name"}):
        answer = api_client.get(path, params=params)
        assert answer.status_code == 422, (path, params, answer.text)
