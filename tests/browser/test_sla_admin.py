"""The SLA admin pages in headless Chromium: from the top bar to a calendar, a refused change shown
beside its field, a saved change in the week preview; screenshots wide and narrow."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer, log_in_as, save_screenshot

pytestmark = pytest.mark.browser

#: Where the screenshots for a person to look at go (one set per backend).
SHOTS = Path(os.environ.get("VIGIL_SHOTS_DIR", "/tmp/shots"))


def _shoot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (1440, 390):
        page.set_viewport_size({"width": width, "height": 900})
        save_screenshot(page, SHOTS / f"sla-admin-{name}-{width}.png")
    page.set_viewport_size({"width": 1440, "height": 900})


def test_admin_edits_a_calendar(page: Page, live_server: LiveServer) -> None:
    log_in_as(page, live_server, "admin")
    page.get_by_role("link", name="SLA", exact=True).click()
    expect(page.get_by_role("heading", name="SLA calendars and policies")).to_be_visible()
    if live_server.backend == "sqlite":
        _shoot(page, "overview")

    page.get_by_role("link", name="Business hours", exact=True).click()
    expect(page.get_by_role("heading", name="Business hours")).to_be_visible()
    page.get_by_label("Friday").fill("09:00-13:00, 12:00-18:00")
    with page.expect_navigation():
        page.get_by_role("button", name="Save calendar").click()
    expect(page.locator("#hours_4-error")).to_contain_text("overlap")
    expect(page.get_by_label("Friday")).to_have_attribute("aria-invalid", "true")

    page.get_by_label("Friday").fill("09:00-13:00")
    page.get_by_label("Time zone").fill("Europe/London")
    with page.expect_navigation():
        page.get_by_role("button", name="Save calendar").click()
    expect(page.get_by_role("status")).to_contain_text("Calendar saved")
    expect(page.locator(".week-preview tbody tr").nth(4)).to_contain_text("09:00-13:00")
    if live_server.backend == "sqlite":
        page.goto(f"{live_server.url}/admin/sla/calendars/Business%20hours?week=2026-10-26")
        _shoot(page, "calendar")
        page.goto(f"{live_server.url}/admin/sla/policies/Action%20plan")
        _shoot(page, "policy")
