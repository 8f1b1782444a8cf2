"""Logging in and out, CSRF refusals, and what a requester sees, in headless Chromium against a live server."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer, log_in, log_in_as
from vigil.auth import service as auth_service
from vigil.core.actor import Channel
from vigil.incidents import service
from vigil.incidents.schemas import CommentCreate, IncidentCreate

pytestmark = pytest.mark.browser

LOGIN_URL = re.compile(r"/login(\?|$)")


def _incident(server: LiveServer, who: str, title: str) -> str:
    """Report an incident as one of the server's people, through the service; returns its number."""
    with server.db.unit_of_work() as session:
        user = auth_service.resolve_user(session, server.people[who].email)
        actor = auth_service.actor_for(user, Channel.LIBRARY)
        number: str = service.create(session=session, actor=actor, data=IncidentCreate(title=title)).number
        return number


def _comment(server: LiveServer, who: str, number: str, body: str, *, internal: bool = False) -> None:
    with server.db.unit_of_work() as session:
        user = auth_service.resolve_user(session, server.people[who].email)
        actor = auth_service.actor_for(user, Channel.LIBRARY)
        data = CommentCreate(body=body, internal=internal)
        service.add_comment(session=session, actor=actor, ref=number, data=data)


def _status(page: Page) -> str:
    return page.locator("header.incident-head .badge[class*='status-']").inner_text()


def test_log_in_and_out(page: Page, live_server: LiveServer, shoot: Callable[[str], Path]) -> None:
    agent = live_server.people["agent"]
    page.goto("/incidents")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fincidents$"))
    expect(page.get_by_role("heading", name="Log in to Vigil")).to_be_visible()
    expect(page.locator("header.topbar")).not_to_contain_text("Log out")
    shoot("1-login")

    log_in(page, live_server.url, agent.email, "not-the-password-at-all")
    expect(page.get_by_role("alert")).to_have_text("Invalid email or password.")
    expect(page).to_have_url(LOGIN_URL)
    expect(page.get_by_label("Email")).to_have_value(agent.email)
    expect(page.get_by_label("Password")).to_have_value("")
    shoot("2-wrong-password")

    log_in(page, live_server.url, agent.email, agent.password)
    expect(page).to_have_url(re.compile(r"/incidents$"))
    expect(page.locator("header.topbar .who")).to_have_text(agent.name)
    expect(page.get_by_role("heading", name="Incidents", exact=True)).to_be_visible()
    shoot("3-logged-in")

    with page.expect_navigation():
        page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.locator("header.topbar")).not_to_contain_text(agent.name)
    page.goto("/incidents")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fincidents$"))


def test_login_lands_on_the_page_it_was_sent_from(page: Page, live_server: LiveServer) -> None:
    number = _incident(live_server, "agent", "Mail relay rejects attachments")
    page.goto(f"/incidents/{number}")
    log_in_as(page, live_server, "agent")
    expect(page).to_have_url(re.compile(rf"/incidents/{number}$"))
    expect(page.locator("header.incident-head")).to_contain_text("Mail relay rejects attachments")


def test_login_keeps_next_after_a_wrong_password(page: Page, live_server: LiveServer) -> None:
    agent = live_server.people["agent"]
    page.goto("/incidents?status=open")
    log_in(page, live_server.url, agent.email, "not-the-password-at-all")
    expect(page.get_by_role("alert")).to_have_text("Invalid email or password.")
    log_in(page, live_server.url, agent.email, agent.password)
    expect(page).to_have_url(re.compile(r"/incidents\?status=open$"), timeout=2_000)


def test_a_tampered_csrf_token_is_refused(
    page: Page, live_server: LiveServer, shoot: Callable[[str], Path]
) -> None:
    number = _incident(live_server, "agent", "Wiki search returns nothing")
    page.goto(f"/incidents/{number}")
    log_in_as(page, live_server, "agent")
    expect(page.locator("ol.timeline > li")).to_have_count(1)
    form = page.locator(f"form[action='/incidents/{number}/acknowledge']")
    form.locator("input[name=csrf_token]").evaluate("input => { input.value = 'forged-by-another-site'; }")
    with page.expect_navigation():
        form.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("403 · Forbidden")
    expect(page.get_by_role("alert")).to_contain_text("CSRF check failed")
    shoot("csrf-refused")

    page.goto(f"/incidents/{number}")
    assert _status(page) == "open"
    expect(page.locator("ol.timeline > li")).to_have_count(1)
    expect(page.locator("header.topbar .who")).to_have_text(live_server.people["agent"].name)


def test_requester_portal(page: Page, live_server: LiveServer, shoot: Callable[[str], Path]) -> None:
    """A requester logging in lands on their portal (docs/portal.md): their requests only, the public
    conversation only."""
    mine = _incident(live_server, "requester", "Laptop will not boot")
    theirs = _incident(live_server, "other_requester", "Badge does not open door B")
    _comment(live_server, "agent", mine, "We will swap the disk this afternoon.")
    _comment(live_server, "agent", mine, "SMART errors; the warranty has expired.", internal=True)

    page.goto("/incidents")
    log_in_as(page, live_server, "requester")
    expect(page).to_have_url(re.compile(r"/portal$"))
    rows = page.locator(".request-item")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(mine)
    expect(page.locator("main")).not_to_contain_text(theirs)
    expect(page.locator("main")).not_to_contain_text("Badge does not open door B")
    shoot("1-requester-queue")

    rows.first.get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"/portal/{mine}$"))
    conversation = page.locator("ol.conversation")
    expect(conversation).to_contain_text("We will swap the disk this afternoon.")
    expect(conversation.locator("li")).to_have_count(1)
    expect(page.locator("main")).not_to_contain_text("SMART errors")
    shoot("2-requester-incident")

    for path in (f"/portal/{theirs}", f"/incidents/{theirs}"):
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_have_text("404 · Not found")
        expect(page.locator("main")).not_to_contain_text("Badge does not open door B")


def _post_form(page: Page, action: str, fields: dict[str, str]) -> None:
    """Submit a form with the page's own CSRF token, as a requester could even if the page hid the form."""
    script = """([action, fields]) => {
        const form = document.createElement('form');
        form.method = 'post';
        form.action = action;
        const all = {...fields, csrf_token: document.querySelector('input[name=csrf_token]').value};
        for (const [name, value] of Object.entries(all)) {
            const input = document.createElement('input');
            input.type = 'hidden'; input.name = name; input.value = value;
            form.appendChild(input);
        }
        document.body.appendChild(form);
        form.submit();
    }"""
    with page.expect_navigation():
        page.evaluate(script, [action, fields])


def test_requester_cannot_use_staff_actions(page: Page, live_server: LiveServer) -> None:
    mine = _incident(live_server, "requester", "Monitor flickers")
    page.goto(f"/incidents/{mine}")
    log_in_as(page, live_server, "requester")
    agent = live_server.people["agent"]
    refusals = {
        "acknowledge": ({}, "incident.acknowledge"),
        "resolve": ({"resolution_notes": "Fixed it myself"}, "incident.resolve"),
        "assign": ({"assigned_to": agent.email}, "incident.update"),
        "comment": ({"body": "Sneaky internal note", "internal": "on"}, "incident.work_note"),
    }
    for action, (fields, right) in refusals.items():
        _post_form(page, f"/incidents/{mine}/{action}", fields)
        expect(page.get_by_role("alert")).to_contain_text(f"Your role may not perform {right}.")
    page.goto(f"/incidents/{mine}")  # the portal's page of it, unchanged
    expect(page.locator(".request-status")).to_contain_text("Received")
    expect(page.locator("main")).to_contain_text("No replies yet.")
    with live_server.db.unit_of_work() as session:
        incident = service.get(session=session, actor=auth_service.system_actor(), ref=mine)
        assert incident.assigned_to_id is None


def test_staff_only_controls_follow_the_role(page: Page, live_server: LiveServer) -> None:
    """Staff get every control; a requester's portal page offers only what the service gives them."""
    mine = _incident(live_server, "requester", "Keyboard missing keys")
    page.goto(f"/incidents/{mine}")
    log_in_as(page, live_server, "agent")
    page.get_by_text("Cancel this incident…").click()  # cancelling is confirmed in a panel of its own
    expect(page.get_by_role("button", name=f"Yes, cancel {mine}")).to_be_visible()
    for name in ("Acknowledge", "Resolve", "Assign"):
        expect(page.get_by_role("button", name=name, exact=True)).to_have_count(1)
    expect(page.get_by_label(re.compile(r"^\s*Work note"))).to_have_count(1)
    page.goto("/incidents/new")
    expect(page.get_by_label("Title")).to_be_visible()
    for label in ("Priority override", "Reason for the priority override", "Assignee", "Group"):
        expect(page.get_by_label(re.compile(rf"^\s*{label}"))).to_have_count(1)


def test_requester_gets_only_their_actions(page: Page, live_server: LiveServer) -> None:
    mine = _incident(live_server, "requester", "Keyboard missing keys")
    page.goto(f"/incidents/{mine}")
    log_in_as(page, live_server, "requester")
    expect(page).to_have_url(re.compile(rf"/portal/{mine}$"))
    page.get_by_text("I no longer need help with this").click()
    expect(page.get_by_role("button", name=f"Withdraw {mine}")).to_be_visible()
    for name in ("Acknowledge", "Resolve", "Assign", "Assign to me"):
        expect(page.get_by_role("button", name=name, exact=True)).to_have_count(0)
    expect(page.get_by_label(re.compile(r"Work note"))).to_have_count(0)
    page.goto("/incidents/new")
    expect(page).to_have_url(re.compile(r"/portal/new$"))
    for label in ("Priority", "Reason for the priority override", "Assignee", "Group", "Impact", "Urgency"):
        expect(page.get_by_label(re.compile(rf"^\s*{label}"))).to_have_count(0)


def test_requester_pages_do_not_list_other_users(page: Page, live_server: LiveServer) -> None:
    """The user directory is for staff: no page shows a requester the other people."""
    mine = _incident(live_server, "requester", "Headset crackles")
    page.goto("/incidents")
    log_in_as(page, live_server, "requester")
    for path in ("/incidents", "/incidents/new", f"/incidents/{mine}"):
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        for other in ("other_requester", "agent", "admin"):
            expect(page.locator("main")).not_to_contain_text(live_server.people[other].name)
