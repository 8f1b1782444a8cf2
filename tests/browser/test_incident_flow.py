"""An agent logs in, reports an incident, acknowledges it and resolves it, in headless Chromium."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer, log_in_as

pytestmark = pytest.mark.browser


def test_report_acknowledge_and_resolve_an_incident(
    page: Page, live_server: LiveServer, shoot: Callable[[str], Path]
) -> None:
    page.goto("/incidents/new")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fincidents%2Fnew$"))
    log_in_as(page, live_server, "agent")
    expect(page).to_have_title("New incident · Vigil")
    page.get_by_role("button", name="Create incident").click()
    expect(page.locator("#title-error")).to_have_text("Enter the title.")
    expect(page.get_by_label("Title")).to_have_attribute("aria-invalid", "true")

    page.get_by_label("Title").fill("Checkout returns 502 for every customer")
    page.get_by_label("Description").fill("Since 09:10 UTC, in all regions.")
    page.get_by_label(re.compile("^Impact")).select_option("high")
    page.get_by_label(re.compile("^Urgency")).select_option("high")
    shoot("1-new-form")
    page.get_by_role("button", name="Create incident").click()

    expect(page).to_have_url(re.compile(r"/incidents/INC-\d{6}\?notice=created$"))
    number = page.url.split("/incidents/")[1].split("?")[0]
    head = page.locator("header.incident-head")
    status = head.locator(".badge[class*='status-']")
    expect(head.locator(".number")).to_have_text(number)
    expect(head).to_contain_text("Checkout returns 502 for every customer")
    expect(status).to_have_text("open")
    expect(head.locator(".badge.priority-P1")).to_have_text("P1")
    expect(page.get_by_role("status")).to_have_text("Incident created.")

    page.get_by_role("button", name="Acknowledge").click()
    expect(status).to_have_text("in progress")
    expect(page.get_by_role("status")).to_have_text("Acknowledged.")

    page.get_by_label("Root cause").fill("A bad release of the payment gateway")
    page.get_by_role("button", name="Resolve").click()
    expect(page.locator("#resolve-resolution_notes-error")).to_contain_text("esolution notes")
    expect(page.get_by_label(re.compile("^Resolution notes"))).to_have_attribute("aria-invalid", "true")
    expect(status).to_have_text("in progress")
    expect(page.get_by_label("Root cause")).to_have_value("A bad release of the payment gateway")
    shoot("2-resolve-refused")

    page.get_by_label("Resolution notes").fill("Rolled the gateway back to 4.2.1.")
    page.get_by_role("button", name="Resolve").click()
    expect(status).to_have_text("resolved")
    timeline = page.locator("ol.timeline")
    expect(timeline.locator(":scope > li")).to_have_count(3)
    expect(timeline.locator("li.tl-created")).to_contain_text("Checkout returns 502 for every customer")
    expect(timeline.locator("li.tl-transition").nth(0)).to_contain_text("acknowledged it and took it")
    expect(timeline.locator("li.tl-transition").nth(1)).to_contain_text("resolved it (fixed)")
    expect(timeline.locator("li.tl-transition").nth(1)).to_contain_text("Status: In progress → Resolved")
    expect(timeline.locator("li.tl-transition").nth(1)).to_contain_text("Rolled the gateway back to 4.2.1.")
    expect(page.locator(".main-col")).to_contain_text("Rolled the gateway back to 4.2.1.")
    expect(page.get_by_role("button", name="Reopen")).to_be_visible()
    shoot("3-resolved")

    page.get_by_role("navigation").get_by_role("link", name="Incidents").click()
    row = page.locator("table.queue tbody tr", has=page.get_by_role("link", name=number))
    expect(row).to_have_count(1)
    expect(row.locator(".badge[class*='status-']")).to_have_text("resolved")
    expect(row.locator(".badge[class*='priority-']")).to_have_text("P1")

    page.locator("details.more-filters > summary").click()  # the filters are folded into one line
    page.get_by_role("checkbox", name="open").check()
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator("table.queue tbody")).to_have_text("No incidents match these filters.")
    page.get_by_role("checkbox", name="resolved").check()
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"status=open&status=resolved"))
    expect(row).to_have_count(1)
    shoot("4-queue")
