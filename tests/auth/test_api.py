"""Identity over HTTP: bearer tokens, scopes, /me, users, tokens; 401s carry WWW-Authenticate."""

from __future__ import annotations

from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy.orm import Session

from tests.factories.auth import api_token, make_user
from vigil.app import create_app
from vigil.auth import service as auth_service
from vigil.auth.roles import Role
from vigil.auth.schemas import UserCreate, UserUpdate
from vigil.core.actor import Actor
from vigil.core.db import Database


def test_unauthenticated_and_bad_tokens_get_401(db: Database) -> None:
    with TestClient(create_app(db)) as anon:
        r = anon.get("/api/v1/incidents")
        assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")
        assert r.headers["content-type"] == "application/problem+json"
        assert anon.get("/api/v1/incidents", headers={"Authorization": "Bearer vgl_nope"}).status_code == 401
        assert (
            anon.get("/api/v1/incidents", headers={"Authorization": "Basic YWRtaW46YWRtaW4="}).status_code
            == 401
        )
        assert anon.get("/api/v1/health").status_code == 200


def test_scopes_and_revocation(db: Database, session: Session, admin: Actor) -> None:
    agent = make_user(session, admin)
    read, write = api_token(session, agent.id, "read"), api_token(session, agent.id, "write")
    with TestClient(create_app(db)) as c:
        as_read = {"Authorization": f"Bearer {read}"}
        assert c.get("/api/v1/incidents", headers=as_read).status_code == 200
        r = c.post("/api/v1/incidents", json={"title": "x"}, headers=as_read)
        assert r.status_code == 403 and "read scope" in r.json()["detail"]
        as_write = {"Authorization": f"Bearer {write}"}
        assert c.post("/api/v1/incidents", json={"title": "x"}, headers=as_write).status_code == 201
        mine = c.get("/api/v1/tokens", headers=as_write).json()["items"]
        assert len(mine) == 2 and all("token" not in t for t in mine)
        target = next(t for t in mine if t["scopes"] == ["read"])
        assert c.delete(f"/api/v1/tokens/{target['id']}", headers=as_write).json()["revoked_at"]
        assert c.get("/api/v1/incidents", headers=as_read).status_code == 401, "revoked at once"


def test_me_tokens_and_user_admin(api_client: TestClient, session: Session, admin: Actor) -> None:
    assert api_client.get("/api/v1/me").json()["email"] == "admin@vigil.example"
    created = api_client.post("/api/v1/tokens", json={"name": "grafana", "scope": "read"})
    assert created.status_code == 201 and created.json()["token"].startswith("vgl_")
    assert "token" not in api_client.get("/api/v1/tokens").json()["items"][0]
    r = api_client.post(
        "/api/v1/users", json={"email": "new@example.com", "display_name": "New", "role": "agent"}
    )
    assert r.status_code == 201 and r.json()["role"] == "agent"
    assert (
        api_client.post("/api/v1/users", json={"email": "new@example.com", "display_name": "x"}).status_code
        == 409
    )
    r = api_client.patch("/api/v1/users/new@example.com", json={"role": "manager"})
    assert r.status_code == 200 and r.json()["role"] == "manager"
    r = api_client.post("/api/v1/users/new@example.com/password", json={"new_password": "short"})
    assert r.status_code == 422
    assert (
        api_client.post(
            "/api/v1/users/new@example.com/password", json={"new_password": "long enough passphrase"}
        ).status_code
        == 204
    )
    requester = make_user(session, admin, Role.REQUESTER)
    with TestClient(api_client.app) as c:
        c.headers["Authorization"] = f"Bearer {api_token(session, requester.id, 'write')}"
        assert [u["email"] for u in c.get("/api/v1/users").json()["items"]] == [requester.email], (
            "requesters see only themselves"
        )
        assert (
            c.post("/api/v1/users", json={"email": "x@example.com", "display_name": "x"}).status_code == 403
        )
        r = c.post(
            "/api/v1/me/password", json={"current_password": "nope", "new_password": "another passphrase"}
        )
        assert r.status_code == 422 and "current password" in r.json()["detail"]


def test_requesters_cannot_probe_who_exists(db: Database, session: Session, admin: Actor) -> None:
    requester = make_user(session, admin, Role.REQUESTER)
    agent = make_user(session, admin, Role.AGENT)
    with TestClient(create_app(db)) as c:
        c.headers["Authorization"] = f"Bearer {api_token(session, requester.id)}"
        for ref in (agent.email, "nobody@example.com"):
            r = c.get("/api/v1/incidents", params={"assigned_to": ref})
            assert (r.status_code, r.json()["items"]) == (200, []), (
                "same answer whether or not the user exists"
            )
            assert c.get("/api/v1/tokens", params={"user": ref}).status_code == 403
        assert c.get("/api/v1/incidents", params={"assignment_group": "No such team"}).status_code == 200
        assert c.get("/api/v1/tokens", params={"user": requester.email}).status_code == 200


def test_tokens_die_on_reset_and_disable_and_stay_dead(
    api_client: TestClient, session: Session, admin: Actor
) -> None:
    user = make_user(session, admin)
    first = {"Authorization": f"Bearer {api_token(session, user.id)}"}
    assert api_client.get("/api/v1/me", headers=first).status_code == 200
    r = api_client.post(f"/api/v1/users/{user.email}/password", json={"new_password": "reset by an admin"})
    assert r.status_code == 204
    assert api_client.get("/api/v1/me", headers=first).status_code == 401, "revoked by the reset"
    second = {"Authorization": f"Bearer {api_token(session, user.id)}"}
    assert api_client.get("/api/v1/me", headers=second).status_code == 200
    assert api_client.patch(f"/api/v1/users/{user.id}", json={"active": False}).status_code == 200
    assert api_client.get("/api/v1/me", headers=second).status_code == 401, "revoked by deactivation"
    assert api_client.patch(f"/api/v1/users/{user.id}", json={"active": True}).json()["active"] is True
    for headers in (first, second):
        assert api_client.get("/api/v1/me", headers=headers).status_code == 401, "re-enabling revives none"


def test_my_password_change_can_revoke_my_tokens(db: Database, session: Session, admin: Actor) -> None:
    user = auth_service.create_user(
        session=session,
        actor=admin,
        data=UserCreate(email="kim@example.com", display_name="Kim", password=SecretStr("first passphrase")),
    )
    mine = {"Authorization": f"Bearer {api_token(session, user.id)}"}
    with TestClient(create_app(db)) as c:
        change = {"current_password": "first passphrase", "new_password": "second passphrase"}
        assert c.post("/api/v1/me/password", json=change, headers=mine).status_code == 204
        assert c.get("/api/v1/me", headers=mine).status_code == 200, "tokens kept unless asked"
        change = {
            "current_password": "second passphrase",
            "new_password": "third passphrase",
            "revoke_tokens": "yes",
        }
        assert c.post("/api/v1/me/password", json=change, headers=mine).status_code == 422, "strict bool"
        r = c.post("/api/v1/me/password", json={**change, "revoke_tokens": True}, headers=mine)
        assert r.status_code == 204
        assert c.get("/api/v1/me", headers=mine).status_code == 401


def test_requesters_get_one_answer_whoever_exists(db: Database, session: Session, admin: Actor) -> None:
    requester = make_user(session, admin, Role.REQUESTER)
    existing, disabled = make_user(session, admin), make_user(session, admin)
    auth_service.update_user(session=session, actor=admin, ref=disabled.email, data=UserUpdate(active=False))
    with TestClient(create_app(db)) as c:
        c.headers["Authorization"] = f"Bearer {api_token(session, requester.id)}"
        refs = (existing.email, "nobody@example.com", disabled.email)
        calls = (
            lambda ref: c.post("/api/v1/tokens", json={"name": "x", "user": ref}),
            lambda ref: c.post(f"/api/v1/users/{ref}/password", json={"new_password": "a new passphrase"}),
            lambda ref: c.patch(f"/api/v1/users/{ref}", json={"display_name": "x"}),
            lambda ref: c.get("/api/v1/tokens", params={"user": ref}),
        )
        for call in calls:
            answers = {(r.status_code, r.json()["detail"]) for r in map(call, refs)}
            assert len(answers) == 1 and next(iter(answers))[0] == 403, answers


def test_strict_types_over_http(api_client: TestClient, session: Session, admin: Actor) -> None:
    user = make_user(session, admin)
    for bad in (0, 1, "false"):
        assert api_client.patch(f"/api/v1/users/{user.id}", json={"active": bad}).status_code == 422
    for days in ("90", 90.5):
        assert (
            api_client.post("/api/v1/tokens", json={"name": "x", "expires_in_days": days}).status_code == 422
        )
    assert api_client.post("/api/v1/tokens", json={"name": "x", "expires_in_days": 30}).status_code == 201
