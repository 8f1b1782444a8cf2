"""Intake over HTTP: the 202 answer, integration-only authentication (token, HMAC), 401/404/413/422 as
problem+json with nothing stored, and the integration endpoints."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories.alerts import am_alert, am_payload, body, make_integration
from vigil.alerts import service
from vigil.alerts.models import Alert, AlertDelivery
from vigil.core.actor import Actor
from vigil.core.metrics import REGISTRY

URL = "/api/v1/integrations/alertmanager/prod-am"
PROBLEM = "application/problem+json"


def _stored(session: Session) -> tuple[int, int]:
    deliveries = session.scalar(select(func.count()).select_from(AlertDelivery))
    alerts = session.scalar(select(func.count()).select_from(Alert))
    return int(deliveries or 0), int(alerts or 0)


@pytest.fixture
def hook(session: Session, admin: Actor, api_client: TestClient) -> tuple[TestClient, str]:
    """A client with no user token and the prod-am integration's token."""
    _, token = make_integration(session, admin, hmac_secret="s3cret-s3cret-s3cret")
    client = TestClient(api_client.app)
    return client, token


def test_a_delivery_is_answered_202_with_its_incidents(
    hook: tuple[TestClient, str], session: Session
) -> None:
    client, token = hook
    r = client.post(URL, content=body(am_payload(am_alert())), headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 202, r.text
    got = r.json()
    assert got["alerts"] == 1 and got["status"] == "processed" and got["incidents"][0].startswith("INC-")
    r = client.post(URL, content=body(am_payload(am_alert())), headers={"Authorization": f"Bearer {token}"})
    assert r.json()["incidents"] == got["incidents"]
    assert _stored(session) == (2, 1)


def test_hmac_signature_is_the_alternative(hook: tuple[TestClient, str], session: Session) -> None:
    client, _ = hook
    raw = body(am_payload(am_alert()))
    good = "sha256=" + hmac.new(b"s3cret-s3cret-s3cret", raw, hashlib.sha256).hexdigest()
    assert client.post(URL, content=raw, headers={"X-Vigil-Signature": good}).status_code == 202
    bad = client.post(URL, content=raw + b" ", headers={"X-Vigil-Signature": good})
    assert bad.status_code == 401 and bad.headers["content-type"] == PROBLEM
    assert _stored(session) == (1, 1)


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer vgla_wrong"}, {"Authorization": "Basic abc"}, "user"],
    ids=["none", "wrong", "basic", "user-token"],
)
def test_bad_credentials_are_401_and_store_nothing(
    hook: tuple[TestClient, str], api_client: TestClient, session: Session, headers: object
) -> None:
    client, _ = hook
    sent = dict(api_client.headers) if headers == "user" else headers  # an admin's admin-scope token
    r = client.post(URL, content=body(am_payload(am_alert())), headers=sent)  # type: ignore[arg-type]
    assert r.status_code == 401 and r.headers["content-type"] == PROBLEM, r.text
    assert _stored(session) == (0, 0)


def test_unknown_integration_is_404(hook: tuple[TestClient, str], session: Session, admin: Actor) -> None:
    client, token = hook
    r = client.post(
        "/api/v1/integrations/alertmanager/nope", content=b"{}", headers={"Authorization": f"Bearer {token}"}
    )
    assert r.status_code == 404 and r.headers["content-type"] == PROBLEM
    # The right token on another kind's path is no way in either.
    r = client.post(
        "/api/v1/integrations/generic/prod-am", content=b"{}", headers={"Authorization": f"Bearer {token}"}
    )
    assert r.status_code == 404


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b"{not json", "body"),
        (b"[]", "body"),
        (body({"version": "4", "alerts": []}), "alerts"),
        (body(am_payload({**am_alert(), "labels": "x"})), "alerts.0.labels"),
        (body(am_payload({**am_alert(), "startsAt": "yesterday"})), "alerts.0.startsAt"),
    ],
)
def test_malformed_is_422_naming_the_field_and_stores_nothing(
    hook: tuple[TestClient, str], session: Session, raw: bytes, field: str
) -> None:
    client, token = hook
    r = client.post(
        URL, content=raw, headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    )
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM, r.text
    assert r.json()["errors"][0]["field"] == field
    assert _stored(session) == (0, 0)


def test_oversized_is_413(
    hook: tuple[TestClient, str], session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, token = hook
    huge = body(am_payload(am_alert(note="x" * 1_100_000)))
    r = client.post(URL, content=huge, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 413 and r.headers["content-type"] == PROBLEM
    assert _stored(session) == (0, 0)


def test_create_shows_the_token_once_and_rotate_replaces_it(api_client: TestClient, session: Session) -> None:
    r = api_client.post("/api/v1/integrations", json={"name": "graf", "kind": "grafana", "recovery": "note"})
    assert r.status_code == 201, r.text
    token = r.json()["token"]
    assert token.startswith("vgla_") and r.json()["url"] == "/api/v1/integrations/grafana/graf"
    shown = api_client.get("/api/v1/integrations/graf").json()
    assert "token" not in shown and shown["recovery"] == "note" and shown["rules"]["create_up_to"] == "P2"
    assert (
        api_client.post("/api/v1/integrations", json={"name": "graf", "kind": "grafana"}).status_code == 409
    )
    assert (
        api_client.post("/api/v1/integrations", json={"name": "generic", "kind": "generic"}).status_code
        == 422
    )
    new = api_client.post("/api/v1/integrations/graf/rotate-token").json()["token"]
    hook = TestClient(api_client.app)
    grafana = "/api/v1/integrations/grafana/graf"
    assert (
        hook.post(
            grafana, content=body(am_payload(am_alert())), headers={"Authorization": f"Bearer {token}"}
        ).status_code
        == 401
    )
    assert (
        hook.post(
            grafana, content=body(am_payload(am_alert())), headers={"Authorization": f"Bearer {new}"}
        ).status_code
        == 202
    )
    r = api_client.patch("/api/v1/integrations/graf", json={"rules": {"create_up_to": "P3"}})
    assert r.status_code == 200 and r.json()["rules"]["create_up_to"] == "P3"
    bad = api_client.patch("/api/v1/integrations/graf", json={"rules": {"create_up_to": "P9"}})
    assert bad.status_code == 422


def test_dry_run_shows_what_would_happen_and_writes_nothing(
    hook: tuple[TestClient, str], api_client: TestClient, session: Session
) -> None:
    example = am_payload(am_alert(severity="critical"), am_alert("DiskFilling", severity="warning"))
    r = api_client.post("/api/v1/integrations/prod-am/dry-run", json=example)
    assert r.status_code == 200, r.text
    alerts = r.json()["alerts"]
    assert [(a["priority"], a["opens_incident"]) for a in alerts] == [("P1", True), ("P3", False)]
    assert alerts[0]["runbook_url"] == "https://runbooks.example/host-down"
    assert _stored(session) == (0, 0)
    bad = api_client.post("/api/v1/integrations/prod-am/dry-run", json={"alerts": "no"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "alerts"


def test_alerts_and_deliveries_over_the_api(
    hook: tuple[TestClient, str], api_client: TestClient, count_queries: Callable[[], list[str]]
) -> None:
    client, token = hook
    for i in range(3):
        raw = body(am_payload(am_alert(f"A{i}", severity="info"), group_key=f"g{i}"))
        assert client.post(URL, content=raw, headers={"Authorization": f"Bearer {token}"}).status_code == 202
    start = len(count_queries())
    r = api_client.get("/api/v1/alerts", params={"integration": "prod-am", "status": "firing"})
    assert r.status_code == 200 and len(r.json()["items"]) == 3
    queries = count_queries()[start:]
    assert len(queries) <= 6, queries  # token, integration, one page with its groups, incidents: no N+1
    alert = r.json()["items"][0]
    assert alert["incident"] is None and alert["count"] == 1
    promoted = api_client.post(f"/api/v1/alerts/{alert['id']}/promote")
    assert promoted.status_code == 200 and promoted.json()["incident"].startswith("INC-")
    assert api_client.post(f"/api/v1/alerts/{alert['id']}/promote").status_code == 409
    assert api_client.get(f"/api/v1/alerts/{alert['id']}").json()["incident"] == promoted.json()["incident"]
    deliveries = api_client.get("/api/v1/alert-deliveries", params={"status": "processed"}).json()["items"]
    assert len(deliveries) == 3 and deliveries[0]["integration"] == "prod-am"
    assert api_client.get("/api/v1/alert-deliveries", params={"status": "failed"}).json()["items"] == []
    assert api_client.post(f"/api/v1/alert-deliveries/{deliveries[0]['id']}/retry").status_code == 409


def test_a_delivery_that_fails_processing_is_acknowledged_queued_and_listed(
    hook: tuple[TestClient, str], api_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, token = hook

    def broken(*_a: object, **_k: object) -> None:
        raise RuntimeError("deadlock detected")

    monkeypatch.setattr(service.intake.groups, "claim_groups", broken)
    r = client.post(URL, content=body(am_payload(am_alert())), headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 202 and r.json()["status"] == "queued" and r.json()["incidents"] == []
    monkeypatch.undo()
    (failed,) = api_client.get("/api/v1/alert-deliveries", params={"status": "failed"}).json()["items"]
    assert failed["id"] == r.json()["delivery"] and "deadlock detected" in failed["error"]
    retried = api_client.post(f"/api/v1/alert-deliveries/{failed['id']}/retry")
    assert retried.status_code == 200 and retried.json()["status"] == "processed"
    assert len(api_client.get("/api/v1/incidents").json()["items"]) == 1


def test_every_result_is_counted_once_its_delivery_commits(
    hook: tuple[TestClient, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each alert's result passes through `intake.report()` once the delivery is committed, and is counted
    in `itsm_alert_intake_total`; a malformed delivery counts `rejected`."""
    client, token = hook
    seen: list[tuple[str, str]] = []
    monkeypatch.setattr(service.intake, "observers", [lambda name, result: seen.append((name, result))])
    before = {r: _intake("prod-am", r) for r in ("created", "attached", "resolved", "rejected")}
    auth = {"Authorization": f"Bearer {token}"}
    two = am_payload(am_alert(), am_alert("DiskFilling", severity="warning"))
    assert client.post(URL, content=body(two), headers=auth).status_code == 202
    assert (
        client.post(URL, content=body(am_payload(am_alert(status="resolved"))), headers=auth).status_code
        == 202
    )
    assert client.post(URL, content=b"[]", headers=auth).status_code == 422
    # The warning shares the critical alert's group, so it attaches to that incident.
    assert sorted(r for _, r in seen) == ["attached", "created", "rejected", "resolved"]
    assert {name for name, _ in seen} == {"prod-am"}
    assert {r: _intake("prod-am", r) - n for r, n in before.items()} == dict.fromkeys(before, 1.0)


def _intake(integration: str, result: str) -> float:
    value = REGISTRY.get_sample_value(
        "itsm_alert_intake_total", {"integration": integration, "result": result}
    )
    return value or 0.0
