"""The administrators' people page in headless Chromium: add a team, give it members, disable a user."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer, log_in_as
from vigil.auth import service as auth_service

pytestmark = pytest.mark.browser


def test_admin_manages_teams_and_users(
    page: Page, live_server: LiveServer, shoot: Callable[[str], Path]
) -> None:
    log_in_as(page, live_server, "admin")
    page.get_by_role("link", name="People").click()
    expect(page.get_by_role("heading", name="People and teams")).to_be_visible()

    add_team = page.get_by_role("form", name="Add a team")
    add_team.get_by_label("Team name").fill("Service Desk")
    add_team.get_by_label("Manager").select_option(label="Sam Agent")
    with page.expect_navigation():
        add_team.get_by_role("button", name="Add team").click()
    expect(page.get_by_role("status")).to_have_text("Team created.")

    page.locator("details.team summary", has_text="Service Desk").click()
    team_form = page.locator("details.team", has_text="Service Desk").locator("form")
    team_form.get_by_role("checkbox", name="Sam Agent").check()
    team_form.get_by_role("checkbox", name="Rita Requester").check()
    with page.expect_navigation():
        team_form.get_by_role("button", name="Save team").click()
    expect(page.get_by_role("status")).to_have_text("Team updated.")
    expect(page.locator("details.team summary", has_text="Service Desk")).to_contain_text("2 members")

    row = page.locator("tr", has_text="otto.other@example.com")
    with page.expect_navigation():
        row.get_by_role("button", name="Disable").click()
    expect(page.locator("tr", has_text="otto.other@example.com")).to_contain_text("Disabled")
    page.set_viewport_size({"width": 1440, "height": 900})
    shoot("1-people-1440")
    page.set_viewport_size({"width": 390, "height": 844})
    shoot("2-people-390")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1, (
        "the page is wider than the screen"
    )

    with live_server.db.unit_of_work() as session:
        team = auth_service.resolve_team(session, "Service Desk")
        assert sorted(u.email for u in team.members) == [
            "rita.requester@example.com",
            "sam.agent@example.com",
        ]
        assert (
            auth_service.resolve_user(session, "otto.other@example.com", include_inactive=True).active
            is False
        )
