"""The CMDB over HTTP: CIs, classes, relationships, impact, history, open work, and impacted services on
incidents; refusals are problem+json naming the field or the reason."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories.auth import api_token, make_user
from vigil.auth.roles import Role
from vigil.core.actor import Actor

CIS = "/api/v1/cis"


def client_as(api_client: TestClient, session: Session, admin: Actor, role: Role) -> TestClient:
    user = make_user(session, admin, role)
    client = TestClient(api_client.app)
    client.headers["Authorization"] = f"Bearer {api_token(session, user.id, 'write')}"
    return client


def problem(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = r.json()
    return body


def make(client: TestClient, **fields: Any) -> dict[str, Any]:
    r = client.post(CIS, json=fields)
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


@pytest.mark.parametrize(
    ("role", "status"),
    [(Role.REQUESTER, 403), (Role.AGENT, 403), (Role.MANAGER, 403), (Role.CMDB_MANAGER, 201)],
    ids=str,
)
def test_who_may_register_a_ci(
    api_client: TestClient, session: Session, admin: Actor, role: Role, status: int
) -> None:
    r = client_as(api_client, session, admin, role).post(
        CIS, json={"name": "edge-1", "ci_class": "network_device"}
    )
    assert r.status_code == status, r.text


def test_create_read_update_and_filter(api_client: TestClient, session: Session, admin: Actor) -> None:
    keeper = client_as(api_client, session, admin, Role.CMDB_MANAGER)
    made = make(
        keeper, name="pg-main", ci_class="database", criticality=1, tags=["SQL", "core"],
        attributes={"version": "16"}, external_ids=[{"source": "netbox", "external_id": "dcim.device:4"}],
    )  # fmt: skip
    assert made["status"] == "active" and made["environment"] == "prod" and made["tags"] == ["core", "sql"]
    r = keeper.get(f"{CIS}/pg-main")
    assert r.status_code == 200 and r.headers["etag"] == '"1"'
    stale = keeper.patch(f"{CIS}/pg-main", json={"criticality": 2}, headers={"If-Match": '"7"'})
    assert problem(stale, 412)["version"] == 1
    r = keeper.patch(f"{CIS}/pg-main", json={"criticality": 2}, headers={"If-Match": '"1"'})
    assert r.status_code == 200 and r.json()["criticality"] == 2 and r.json()["version"] == 2
    make(keeper, name="pg-test", ci_class="database", environment="staging")
    names = lambda q: [c["name"] for c in keeper.get(CIS, params=q).json()["items"]]  # noqa: E731
    assert names({"environment": "staging"}) == ["pg-test"]
    assert names({"tag": "sql"}) == ["pg-main"]
    assert names({"tag": "sq"}) == []
    assert names({"ci_class": "database", "q": "pg"}) == ["pg-main", "pg-test"]
    assert problem(keeper.get(CIS, params={"environment": "moon"}), 422)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x", "criticality": 0}, "criticality"),
        ({"name": "x", "environment": "moon"}, "environment"),
        ({"name": "x", "status": "operational"}, "status"),
        ({"name": "x", "ci_class": "spaceship"}, "ci_class"),
        ({"name": "x", "owner_team": "Nobody"}, "owner_team"),
        ({"name": "x", "external_ids": [{"source": "Net Box", "external_id": "1"}]}, "external_ids.0.source"),
    ],
)
def test_bad_input_is_named(api_client: TestClient, body: dict[str, Any], field: str) -> None:
    r = api_client.post(CIS, json=body)
    assert problem(r, 422)["errors"][0]["field"] == field


def test_classes_with_schemas(api_client: TestClient) -> None:
    schema = {"type": "object", "properties": {"seats": {"type": "integer"}}, "required": ["seats"]}
    r = api_client.post(
        "/api/v1/ci-classes", json={"key": "license", "label": "License", "attribute_schema": schema}
    )
    assert r.status_code == 201 and r.headers["location"] == "/api/v1/ci-classes/license"
    assert problem(api_client.post(CIS, json={"name": "ide", "ci_class": "license"}), 422)["errors"][0][
        "field"
    ] == ("attributes")
    bad = api_client.post(CIS, json={"name": "ide", "ci_class": "license", "attributes": {"seats": "ten"}})
    assert problem(bad, 422)["errors"][0]["field"] == "attributes.seats"
    assert make(api_client, name="ide", ci_class="license", attributes={"seats": 10})["attributes"] == {
        "seats": 10
    }
    keys = [c["key"] for c in api_client.get("/api/v1/ci-classes").json()["items"]]
    assert keys[:2] == ["business_service", "technical_service"] and "license" in keys
    assert problem(api_client.post("/api/v1/ci-classes", json={"key": "license", "label": "Again"}), 409)
    r = api_client.patch("/api/v1/ci-classes/license", json={"label": "Software license"})
    assert r.status_code == 200 and r.json()["label"] == "Software license"
    assert problem(api_client.get("/api/v1/ci-classes/nope"), 404)


def test_relationships_impact_and_history(api_client: TestClient, session: Session, admin: Actor) -> None:
    host = make(api_client, name="node-1", ci_class="host")
    make(api_client, name="api", ci_class="application")
    make(api_client, name="Shop", ci_class="business_service", criticality=1)
    r = api_client.post(f"{CIS}/api/relationships", json={"kind": "runs_on", "target": "node-1"})
    assert r.status_code == 201 and r.json()["label"] == "runs on" and r.json()["ci"]["name"] == "node-1"
    r = api_client.post(f"{CIS}/api/relationships", json={"kind": "depends_on", "source": "Shop"})
    assert r.status_code == 201 and r.json()["label"] == "is depended on by"
    assert problem(
        api_client.post(f"{CIS}/api/relationships", json={"kind": "runs_on", "target": "node-1"}), 409
    )
    assert problem(
        api_client.post(f"{CIS}/api/relationships", json={"kind": "owns", "target": "node-1"}), 422
    )
    assert problem(
        api_client.post(f"{CIS}/api/relationships", json={"kind": "runs_on", "target": "nope"}), 404
    )
    rels = api_client.get(f"{CIS}/node-1/relationships").json()["items"]
    assert [(x["label"], x["ci"]["name"]) for x in rels] == [("runs", "api")]

    impact = api_client.get(f"{CIS}/{host['id']}/impact", params={"depth": 5}).json()
    assert [(i["ci"]["name"], i["distance"]) for i in impact["items"]] == [("api", 1), ("Shop", 2)]
    assert [s["ci"]["name"] for s in impact["services"]] == ["Shop"]
    assert [p["label"] for p in impact["items"][1]["path"]] == ["runs", "is depended on by"]
    down = api_client.get(f"{CIS}/Shop/impact", params={"direction": "downstream"}).json()
    assert [i["ci"]["name"] for i in down["items"]] == ["api", "node-1"]
    assert problem(api_client.get(f"{CIS}/Shop/impact", params={"depth": 0}), 422)
    assert problem(api_client.get(f"{CIS}/Shop/impact", params={"direction": "sideways"}), 422)

    rel_id = rels[0]["id"]
    assert api_client.delete(f"{CIS}/api/relationships/{rel_id}").status_code == 204
    assert problem(api_client.delete(f"{CIS}/api/relationships/{rel_id}"), 404)
    actions = [e["action"] for e in api_client.get(f"{CIS}/api/history").json()["items"]]
    assert actions == ["ci.create", "ci.relate", "ci.relate", "ci.unrelate"]
    requester = client_as(api_client, session, admin, Role.REQUESTER)
    assert problem(requester.get(f"{CIS}/Shop/history"), 403)


def test_incidents_show_impacted_services_and_retiring_asks(api_client: TestClient) -> None:
    make(api_client, name="db-9", ci_class="database")
    make(api_client, name="Payments", ci_class="business_service", criticality=1)
    api_client.post(f"{CIS}/Payments/relationships", json={"kind": "depends_on", "target": "db-9"})
    r = api_client.post(
        "/api/v1/incidents", json={"title": "db-9 down", "affected_cis": ["db-9"], "impact": "low"}
    )
    assert r.status_code == 201, r.text
    incident = r.json()
    assert [(s["ci"]["name"], s["distance"], s["criticality"]) for s in incident["impacted_services"]] == [
        ("Payments", 1, 1)
    ]
    assert incident["impact"] == "high"
    work = api_client.get(f"{CIS}/Payments/open-work").json()["items"]
    assert [(w["number"], w["kind"]) for w in work] == [(incident["number"], "incident")]
    refused = problem(api_client.patch(f"{CIS}/db-9", json={"status": "retired"}), 409)
    assert incident["number"] in refused["detail"] and refused["open_work"] == [incident["number"]]
    assert api_client.get(f"{CIS}/db-9").json()["status"] == "active"
    r = api_client.patch(f"{CIS}/db-9", json={"status": "retired", "confirm": True})
    assert r.status_code == 200 and r.json()["status"] == "retired"


def test_an_ambiguous_name_is_a_409_and_the_id_works(api_client: TestClient) -> None:
    first = make(api_client, name="cache", ci_class="database")
    make(api_client, name="cache", ci_class="database", environment="dev")
    assert "give the id" in problem(api_client.get(f"{CIS}/cache"), 409)["detail"]
    assert api_client.get(f"{CIS}/{first['id']}").json()["environment"] == "prod"
    r = api_client.post("/api/v1/incidents", json={"title": "cache", "affected_cis": ["cache"]})
    assert problem(r, 422)["errors"][0]["field"] == "affected_cis"
    r = api_client.post("/api/v1/incidents", json={"title": "cache", "affected_cis": [first["id"]]})
    assert r.status_code == 201
