"""REST API for incidents: shapes, errors as problem+json, idempotency, filters, query counts."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from tests.factories.auth import make_user
from vigil.core.actor import Actor


@pytest.fixture
def client(api_client: TestClient) -> TestClient:
    return api_client


def _create(client: TestClient, **fields: object) -> dict:  # type: ignore[type-arg]
    r = client.post("/api/v1/incidents", json={"title": "API gateway 503", **fields})
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def test_create_get_by_uuid_and_number(client: TestClient) -> None:
    created = _create(client, impact="high", urgency="medium", category="API", tags=["edge"])
    assert created["number"].startswith("INC-") and created["priority"] == "P2" == created["severity"]
    assert created["status"] == "open" and created["allowed_actions"] == ["acknowledge", "resolve", "cancel"]
    assert created["requester"]["email"] == "admin@vigil.example"
    for ref in (created["id"], created["number"]):
        got = client.get(f"/api/v1/incidents/{ref}")
        assert got.status_code == 200 and got.json()["id"] == created["id"]


def test_severity_synonym_on_input(client: TestClient) -> None:
    created = _create(client, severity="P1", priority_reason="customer-facing outage")
    assert created["priority"] == "P1"


def test_errors_are_problem_json(client: TestClient) -> None:
    r = client.get("/api/v1/incidents/INC-424242")
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["status"] == 404 and body["title"] == "Not found" and "INC-424242" in body["detail"]
    assert body["request_id"] == r.headers["x-request-id"]
    r = client.post("/api/v1/incidents", json={"title": "", "impact": "huge"})
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    fields = {e["field"] for e in r.json()["errors"]}
    assert {"title", "impact"} <= fields
    r = client.post("/api/v1/incidents", json={"title": "x", "category": "Plumbing"})
    assert r.status_code == 422 and "AI Services" in r.json()["detail"]
    r = client.post("/api/v1/incidents", json={"title": "x", "bogus": 1})
    assert r.status_code == 422


def test_illegal_transition_is_409_with_allowed_actions(client: TestClient) -> None:
    inc = _create(client)
    r = client.post(f"/api/v1/incidents/{inc['number']}/close")
    assert r.status_code == 409
    body = r.json()
    assert body["current_status"] == "open" and body["allowed_actions"] == [
        "acknowledge",
        "resolve",
        "cancel",
    ]
    assert "cannot close" in body["detail"]


def test_lifecycle_over_http(client: TestClient) -> None:
    n = _create(client)["number"]
    assert (
        client.post(f"/api/v1/incidents/{n}/acknowledge", json={"note": "on it"}).json()["status"]
        == "in_progress"
    )
    assert client.post(f"/api/v1/incidents/{n}/hold").json()["status"] == "on_hold"
    assert client.post(f"/api/v1/incidents/{n}/resume").json()["status"] == "in_progress"
    r = client.post(f"/api/v1/incidents/{n}/resolve", json={})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "resolution_notes"
    r = client.post(
        f"/api/v1/incidents/{n}/resolve", json={"resolution_notes": "restarted", "root_cause": "leak"}
    )
    assert r.json()["status"] == "resolved" and r.json()["time_to_resolve"] is not None
    assert client.post(f"/api/v1/incidents/{n}/reopen", json={}).status_code == 422
    assert (
        client.post(f"/api/v1/incidents/{n}/reopen", json={"reason": "back"}).json()["status"]
        == "in_progress"
    )
    client.post(f"/api/v1/incidents/{n}/resolve", json={"resolution_notes": "really fixed"})
    closed = client.post(f"/api/v1/incidents/{n}/close").json()
    assert closed["status"] == "closed" and closed["closed_at"] and closed["allowed_actions"] == []
    assert client.patch(f"/api/v1/incidents/{n}", json={"title": "late edit"}).status_code == 409


def test_patch_fields_and_status(client: TestClient) -> None:
    n = _create(client)["number"]
    r = client.patch(
        f"/api/v1/incidents/{n}", json={"impact": "high", "urgency": "high", "root_cause": "bad deploy"}
    )
    assert r.status_code == 200 and r.json()["priority"] == "P1" and r.json()["root_cause"] == "bad deploy"
    r = client.patch(f"/api/v1/incidents/{n}", json={"status": "in_progress"})
    assert r.json()["status"] == "in_progress" and r.json()["acknowledged_at"]
    r = client.patch(f"/api/v1/incidents/{n}", json={"status": "resolved", "resolution_notes": "rolled back"})
    assert r.json()["status"] == "resolved" and r.json()["resolution_notes"] == "rolled back"
    r = client.patch(f"/api/v1/incidents/{n}", json={"status": "open"})
    assert r.status_code == 409 and "allowed actions" in r.json()["detail"]
    r = client.patch(f"/api/v1/incidents/{n}", json={"priority": "P1"})
    assert r.status_code == 422 and "priority_reason" in r.json()["detail"]


def test_a_requester_is_never_an_assignee(client: TestClient, session: object, admin: Actor) -> None:
    from vigil.auth.roles import Role

    requester = make_user(session, admin, Role.REQUESTER)  # type: ignore[arg-type]
    agent = make_user(session, admin)  # type: ignore[arg-type]
    session.commit()  # type: ignore[attr-defined]
    r = client.post("/api/v1/incidents", json={"title": "VPN down", "assigned_to": requester.email})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "assigned_to"
    assert "is a requester" in r.json()["detail"]
    n = _create(client, assigned_to=agent.email)["number"]
    r = client.patch(f"/api/v1/incidents/{n}", json={"assigned_to": requester.email})
    assert r.status_code == 422 and "is a requester" in r.json()["detail"]
    got = client.get(f"/api/v1/incidents/{n}").json()
    assert got["assigned_to"]["email"] == agent.email  # the refused change left the record as it was


def test_comments_and_timeline(client: TestClient) -> None:
    n = _create(client)["number"]
    r = client.post(f"/api/v1/incidents/{n}/comments", json={"body": "Seen from Berlin too"})
    assert r.status_code == 201 and r.json()["internal"] is False
    client.post(f"/api/v1/incidents/{n}/comments", json={"body": "checked LB logs", "internal": True})
    client.post(f"/api/v1/incidents/{n}/acknowledge")
    kinds = [e["kind"] for e in client.get(f"/api/v1/incidents/{n}/timeline").json()["items"]]
    assert kinds == ["created", "comment", "work_note", "transition"]
    assert client.post(f"/api/v1/incidents/{n}/comments", json={"body": "  "}).status_code == 422


def test_idempotency_key_replays_the_first_result(client: TestClient) -> None:
    headers = {"Idempotency-Key": "create-42"}
    first = client.post("/api/v1/incidents", json={"title": "Once"}, headers=headers)
    again = client.post("/api/v1/incidents", json={"title": "Once"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() and again.headers["idempotent-replayed"] == "true"
    listed = client.get("/api/v1/incidents", params={"q": "Once"}).json()["items"]
    assert len(listed) == 1
    other = client.post("/api/v1/incidents", json={"title": "Different"}, headers=headers)
    assert other.status_code == 409 and "different request body" in other.json()["detail"]
    n = first.json()["number"]
    ack = {"Idempotency-Key": "ack-1"}
    assert client.post(f"/api/v1/incidents/{n}/acknowledge", headers=ack).status_code == 200
    assert (
        client.post(f"/api/v1/incidents/{n}/acknowledge", headers=ack).status_code == 200
    )  # replay, not a 409


def test_list_filters_and_cursor(client: TestClient) -> None:
    for i in range(5):
        _create(client, title=f"batch {i}", impact="high" if i % 2 else "low", urgency="high")
    r = client.get("/api/v1/incidents", params={"priority": ["P1"], "limit": 50})
    assert {i["title"] for i in r.json()["items"]} == {"batch 1", "batch 3"}
    seen, cursor = [], None
    while True:
        params = {"limit": 2, "q": "batch", **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/incidents", params=params).json()
        seen += [i["title"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [f"batch {i}" for i in reversed(range(5))]
    assert client.get("/api/v1/incidents", params={"cursor": "garbage"}).status_code == 422
    assert client.get("/api/v1/incidents", params={"limit": 0}).status_code == 422
    r = client.get("/api/v1/incidents", params={"created_after": "2000-01-01T00:00:00"})
    assert r.status_code == 200 and len(r.json()["items"]) == 5


def test_list_query_count_does_not_grow_with_rows(
    client: TestClient, count_queries: Callable[[], list[str]], session: object, admin: Actor
) -> None:
    agent = make_user(session, admin)  # type: ignore[arg-type]
    _create(client, assigned_to=agent.email)
    start = len(count_queries())
    client.get("/api/v1/incidents")
    one = len(count_queries()) - start
    for i in range(6):
        _create(client, title=f"more {i}", assigned_to=agent.email)
    start = len(count_queries())
    client.get("/api/v1/incidents")
    many = len(count_queries()) - start
    assert many == one, f"list issued {one} queries for 1 row but {many} for 7 (N+1)"
    number = _create(client)["number"]
    start = len(count_queries())
    client.get(f"/api/v1/incidents/{number}")
    assert len(count_queries()) - start <= one


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/api/v1/health").json() == {"status": "ok"}
    ready = client.get("/api/v1/health/ready")
    assert (
        ready.status_code == 200
        and ready.json()["status"] == "ok"
        and ready.json()["revision"] == ready.json()["head"]
    )


def test_security_headers_and_request_id(client: TestClient) -> None:
    r = client.get("/api/v1/health", headers={"X-Request-ID": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert (
        client.get("/api/v1/health", headers={"X-Request-ID": "bad id; drop"}).headers["x-request-id"]
        != "bad id; drop"
    )


def test_directory_endpoints(client: TestClient) -> None:
    assert "admin@vigil.example" in [u["email"] for u in client.get("/api/v1/users").json()["items"]]
    r = client.post("/api/v1/cis", json={"name": "api-gateway", "ci_class": "business_service"})
    assert r.status_code == 201
    assert client.post("/api/v1/cis", json={"name": "api-gateway"}).status_code == 409
    assert [c["name"] for c in client.get("/api/v1/cis", params={"q": "gate"}).json()["items"]] == [
        "api-gateway"
    ]
    inc = _create(client, affected_cis=["api-gateway"])
    listed = client.get("/api/v1/incidents", params={"ci": "api-gateway"}).json()["items"]
    assert [i["number"] for i in listed] == [inc["number"]]
