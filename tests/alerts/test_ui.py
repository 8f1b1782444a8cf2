"""The alerts page and the failed-deliveries page, rendered through the test client (no browser)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tests.alerts.conftest import Deliver
from tests.factories.alerts import am_alert, am_payload, body
from tests.factories.auth import WebClient
from vigil.alerts import payloads, service
from vigil.alerts.models import Integration


def test_the_alerts_page_lists_alerts_with_their_incident_and_promotes(
    web_client: WebClient, integration: Integration, deliver: Deliver
) -> None:
    number = deliver(integration, am_payload(am_alert(instance="db1"))).incidents[0]
    deliver(integration, am_payload(am_alert("DiskFilling", severity="warning"), group_key="disk"))
    page = web_client.get("/alerts")
    assert page.status_code == 200
    assert f'href="/incidents/{number}"' in page.text and "DiskFilling" in page.text
    assert 'href="/alerts" aria-current="page"' in page.text  # in the nav
    assert "Open incident" in page.text
    firing = web_client.get("/alerts", params={"status": "resolved"}).text
    assert number not in firing
    alert_id = page.text.split('action="/alerts/')[1].split("/promote")[0]
    r = web_client.post(f"/alerts/{alert_id}/promote", data={}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/incidents/INC-")


def test_failed_deliveries_show_their_error_and_retry(
    web_client: WebClient, session: Session, integration: Integration, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = body(am_payload(am_alert()))

    def broken(*_a: object, **_k: object) -> None:
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(service.intake.groups, "claim_groups", broken)
    service.intake.receive(session, integration, raw, payloads.parse("alertmanager", raw))
    monkeypatch.undo()
    page = web_client.get("/admin/alert-deliveries")
    assert page.status_code == 200 and "database hiccup" in page.text and "Retry now" in page.text
    delivery_id = page.text.split('action="/admin/alert-deliveries/')[1].split("/retry")[0]
    r = web_client.post(f"/admin/alert-deliveries/{delivery_id}/retry", data={}, follow_redirects=False)
    assert r.status_code == 303
    assert "No failed deliveries" in web_client.get("/admin/alert-deliveries").text
