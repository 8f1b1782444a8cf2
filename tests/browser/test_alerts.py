"""The alerts pages in a real browser: alerts posted to the live server's webhook as Alertmanager sends
them, listed with their incident at desktop and phone widths, promoted by hand; failed deliveries with
their error and a retry. Screenshots go to /tmp/shots for a person to look at."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import LiveServer, browser_page, log_in_as, save_screenshot
from tests.browser.test_workspace import WIDEST
from tests.factories.alerts import am_alert, am_payload, body
from vigil.alerts import payloads, service
from vigil.alerts.mapping import Rules
from vigil.alerts.schemas import IntegrationCreate
from vigil.auth import service as auth_service
from vigil.core.actor import Channel

pytestmark = pytest.mark.usefixtures("browser")
SHOTS = Path("/tmp/shots")


def _fits(page: Page, name: str, width: int) -> None:
    save_screenshot(page, SHOTS / f"alerts-{name}-{width}.png")
    too_wide = page.evaluate(WIDEST) if page.evaluate("document.documentElement.scrollWidth") > width else []
    assert too_wide == [], f"{page.url} is wider than {width} px: {too_wide}"


def _arrange(server: LiveServer, monkeypatch: pytest.MonkeyPatch) -> str:
    """A critical alert and a warning posted to the webhook; one delivery whose processing failed."""
    with server.db.unit_of_work() as s:
        admin = auth_service.operator_actor(s, Channel.API)
        data = IntegrationCreate(name="prod-am", kind="alertmanager", rules=Rules())  # type: ignore[call-arg]
        token = service.integrations.create(session=s, actor=admin, data=data).token
    hook = f"{server.url}/api/v1/integrations/alertmanager/prod-am"
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    critical = am_payload(am_alert(instance="db1:9100"))
    r = httpx.post(hook, content=body(critical), headers=auth, timeout=10)
    assert r.status_code == 202, r.text
    warning = am_payload(am_alert("DiskFilling", severity="warning", instance="db1:9100"), group_key="disk")
    assert httpx.post(hook, content=body(warning), headers=auth, timeout=10).status_code == 202

    def broken(*_a: object, **_k: object) -> None:
        raise RuntimeError("database hiccup")

    raw = body(am_payload(am_alert("CertExpiring", instance="web1"), group_key="certs"))
    with server.db.unit_of_work() as s, monkeypatch.context() as m:
        m.setattr(service.intake.groups, "claim_groups", broken)
        integration = service.integrations.load(s, "prod-am")
        service.intake.receive(s, integration, raw, payloads.parse("alertmanager", raw))
    return str(r.json()["incidents"][0])


def test_alerts_with_their_incident_promote_and_retry(
    browser: Browser, live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    number = _arrange(live_server, monkeypatch)
    for width in (1440, 390):
        with browser_page(browser, live_server, width=width) as page:
            page.goto("/alerts")
            log_in_as(page, live_server, "agent")
            page.goto("/alerts")
            expect(page.get_by_role("heading", name="Alerts", exact=True)).to_be_visible()
            expect(page.get_by_role("link", name=number)).to_be_visible()
            expect(page.get_by_text("DiskFilling").first).to_be_visible()
            _fits(page, "list", width)
    with browser_page(browser, live_server, width=1440) as page:
        page.goto("/alerts")
        log_in_as(page, live_server, "agent")
        page.goto("/alerts")
        page.get_by_role("button", name="Open an incident for DiskFilling on db1:9100").click()
        expect(page).to_have_url(re.compile(r"/incidents/INC-\d+$"))
        expect(page.locator("main")).to_contain_text("DiskFilling")
    for width in (390, 1440):  # the phone first: the desktop then retries the delivery
        with browser_page(browser, live_server, width=width) as page:
            page.goto("/admin/alert-deliveries")
            log_in_as(page, live_server, "admin")
            page.goto("/admin/alert-deliveries")
            expect(page.get_by_text("database hiccup")).to_be_visible()
            _fits(page, "deliveries", width)
            if width == 1440:
                page.get_by_role("button", name="Retry now").click()
                expect(page.get_by_text("No failed deliveries")).to_be_visible()
