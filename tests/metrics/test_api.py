"""/metrics through the real app: counters and histograms move by exactly what the API did, a rolled-back
create counts nothing, the database gauges, the scrape token, and route templates as labels."""

from __future__ import annotations

import pytest
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.testclient import TestClient

from tests.conftest import Clock
from tests.metrics.scrape import samples, value
from vigil.app import create_app
from vigil.core import metrics
from vigil.core.actor import Actor
from vigil.core.config import Settings
from vigil.core.db import Database
from vigil.core.jobs import queue, worker
from vigil.incidents import service
from vigil.incidents.schemas import IncidentCreate
from vigil.web.templating import render


def scrape(client: TestClient) -> str:
    r = client.get("/metrics")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    return r.text


def create(client: TestClient, impact: str = "high", urgency: str = "high") -> dict[str, str]:
    r = client.post("/api/v1/incidents", json={"title": "disk full", "impact": impact, "urgency": urgency})
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_create_acknowledge_resolve_move_the_counters(api_client: TestClient, frozen_clock: Clock) -> None:
    before = scrape(api_client)
    made = create(api_client)
    number, priority = made["number"], made["priority"]
    frozen_clock.advance(minutes=10)
    assert api_client.post(f"/api/v1/incidents/{number}/acknowledge", json={}).status_code == 200
    frozen_clock.advance(minutes=50)
    r = api_client.post(f"/api/v1/incidents/{number}/resolve", json={"resolution_notes": "cleaned up"})
    assert r.status_code == 200, r.text
    after = scrape(api_client)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("itsm_ticket_creation_total", record_type="incident", priority=priority, channel="api") == 1
    assert moved("itsm_ticket_creation_duration_seconds_count", record_type="incident") == 1
    assert moved("itsm_ticket_time_to_acknowledge_seconds_count", priority=priority) == 1
    assert moved("itsm_ticket_time_to_acknowledge_seconds_sum", priority=priority) == 600
    # 600 s falls in the 900 s bucket, not in the 300 s one.
    assert moved("itsm_ticket_time_to_acknowledge_seconds_bucket", priority=priority, le="300.0") == 0
    assert moved("itsm_ticket_time_to_acknowledge_seconds_bucket", priority=priority, le="900.0") == 1
    assert moved("itsm_ticket_time_to_resolve_seconds_count", priority=priority) == 1
    assert moved("itsm_ticket_time_to_resolve_seconds_sum", priority=priority) == 3600


def _created(priority: str) -> float:
    labels = {"record_type": "incident", "priority": priority, "channel": "api"}
    return metrics.REGISTRY.get_sample_value("itsm_ticket_creation_total", labels) or 0.0


def test_a_rolled_back_create_is_not_counted(db: Database, admin: Actor) -> None:
    start = _created("P4")
    with pytest.raises(ZeroDivisionError), db.unit_of_work() as s:
        made = service.create(
            session=s, actor=admin, data=IncidentCreate(title="never", impact="low", urgency="low")
        )
        assert made.priority == "P4"
        raise ZeroDivisionError
    assert _created("P4") == start
    with db.unit_of_work() as s:
        service.create(session=s, actor=admin, data=IncidentCreate(title="kept", impact="low", urgency="low"))
    assert _created("P4") == start + 1


def test_validation_errors_are_counted_by_source_and_route(api_client: TestClient) -> None:
    before = scrape(api_client)
    assert (
        api_client.post("/api/v1/incidents", json={"impact": "high"}).status_code == 422
    )  # schema: no title
    r = api_client.post("/api/v1/incidents", json={"title": "x", "category": "no-such-category"})
    assert r.status_code == 422, r.text  # a service rule: the category must exist
    after = scrape(api_client)
    for source in ("request", "service"):
        labels = {"source": source, "route": "/api/v1/incidents"}
        moved = value(after, "itsm_validation_errors_total", **labels) - value(
            before, "itsm_validation_errors_total", **labels
        )
        assert moved == 1, source


def _series(text: str, name: str) -> list[tuple[frozenset[tuple[str, str]], float]]:
    return [(labels, v) for (n, labels), v in samples(text).items() if n == name]


def test_http_durations_are_labelled_by_route_template(api_client: TestClient) -> None:
    number = create(api_client)["number"]
    assert api_client.get(f"/api/v1/incidents/{number}").status_code == 200
    assert api_client.get("/no/such/page/12345").status_code == 404
    text = scrape(api_client)
    routes = {dict(ls)["route"] for ls, _ in _series(text, "vigil_http_request_duration_seconds_count")}
    assert any(r.startswith("/api/v1/incidents/{") for r in routes)
    assert "unmatched" in routes
    assert not any(number in r or "12345" in r for r in routes), "a raw path became a label"


def test_gauges_come_from_the_database(api_client: TestClient, db: Database, frozen_clock: Clock) -> None:
    p1 = create(api_client)  # Monday 09:00: response due 09:15
    p2 = create(api_client, urgency="medium")  # response due 10:00
    create(api_client, impact="low", urgency="low")
    api_client.post(f"/api/v1/incidents/{p2['number']}/acknowledge", json={})
    frozen_clock.advance(minutes=50)  # 09:50: the P1 breached its response; P2 is acknowledged
    with db.unit_of_work() as s:
        queue.enqueue(s, "metrics.test.later", run_at=frozen_clock.now.replace(hour=23))
        queue.enqueue(s, "metrics.test.due", run_at=frozen_clock.now.replace(minute=20))
    text = scrape(api_client)
    assert value(text, "itsm_open_incidents", priority=p1["priority"], status="open") == 1
    assert value(text, "itsm_open_incidents", priority=p2["priority"], status="in_progress") == 1
    assert value(text, "itsm_open_incidents") == 3
    assert value(text, "itsm_open_incidents", priority="P2", status="on_hold") == 0  # zeros are reported
    assert value(text, "itsm_sla_breached_incidents", priority=p1["priority"]) == 1
    assert value(text, "itsm_sla_breached_incidents") == 1
    assert value(text, "vigil_job_queue_depth", status="pending") >= 2
    assert value(text, "vigil_job_oldest_pending_age_seconds") >= 30 * 60  # due 09:20, now 09:50


def test_alert_intake_counts_by_integration_and_result(api_client: TestClient) -> None:
    before = scrape(api_client)
    metrics.alert_intake("alertmanager", "created")
    metrics.alert_intake("alertmanager", "created")
    metrics.alert_intake("alertmanager", "failed")
    metrics.alert_intake("alertmanager", "a result nobody expected")
    after = scrape(api_client)
    for result, n in (("created", 2), ("failed", 1), ("other", 1), ("rejected", 0)):
        labels = {"integration": "alertmanager", "result": result}
        assert (
            value(after, "itsm_alert_intake_total", **labels)
            - value(before, "itsm_alert_intake_total", **labels)
            == n
        )


def test_job_retries_are_counted_once_committed(
    db: Database, api_client: TestClient, frozen_clock: Clock
) -> None:
    before = scrape(api_client)
    with db.unit_of_work() as s:
        queue.enqueue(s, "metrics.test.flaky")
    worker.run_pending(db)
    after = scrape(api_client)
    labels = {"operation": "metrics.test.flaky", "reason": "error"}
    assert (
        value(after, "itsm_ticket_retry_attempts_total", **labels)
        - value(before, "itsm_ticket_retry_attempts_total", **labels)
        == 1
    )


@queue.job("metrics.test.flaky")
def _flaky(session: object, payload: object) -> None:
    raise RuntimeError("downstream unavailable")


def test_the_scrape_token_is_required_when_configured(db: Database) -> None:
    app = create_app(db, Settings(metrics_token="s3cret-scrape"))  # type: ignore[arg-type]
    with TestClient(app) as client:
        r = client.get("/metrics")
        assert r.status_code == 401
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["status"] == 401 and r.headers["www-authenticate"].startswith("Bearer")
        assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Basic s3cret-scrape"}).status_code == 401
        r = client.get("/metrics", headers={"Authorization": "Bearer s3cret-scrape"})
        assert r.status_code == 200 and "itsm_ticket_creation_total" in r.text


def test_no_token_configured_means_an_open_scrape(db: Database) -> None:
    with TestClient(create_app(db, Settings())) as client:
        assert client.get("/metrics").status_code == 200


def test_template_rendering_errors_are_counted(db: Database) -> None:
    app = create_app(db)
    broken = APIRouter()

    @broken.get("/metrics-test/broken")
    def page(request: Request) -> HTMLResponse:
        return render(request, "metrics-test/no-such-template.html", {})

    app.include_router(broken)
    labels = {"template": "metrics-test/no-such-template.html"}
    start = metrics.REGISTRY.get_sample_value("itsm_template_rendering_errors_total", labels) or 0.0
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/metrics-test/broken").status_code == 500
    assert metrics.REGISTRY.get_sample_value("itsm_template_rendering_errors_total", labels) == start + 1


def test_metrics_is_outside_the_api_schema(api_client: TestClient) -> None:
    """/metrics is not an API operation (include_in_schema=False), so the OpenAPI-driven access matrix
    (tests/test_access_matrix.py) does not list it: its one access rule is the scrape token, tested above."""
    assert "/metrics" not in api_client.get("/openapi.json").json()["paths"]
