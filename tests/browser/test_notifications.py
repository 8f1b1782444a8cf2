"""In headless Chromium: the bell and the inbox at desk (1440 px) and phone (390 px) widths, for an agent
and a requester. Real events: an assignment and a reply, delivered by the job queue. Screenshots go to
/tmp/shots/notify-*.png for a person to look at."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import LiveServer, browser_page, log_in_as, save_screenshot
from tests.browser.test_workspace import _overflow
from vigil.auth import service as auth_service
from vigil.core.actor import Channel
from vigil.core.jobs import worker
from vigil.incidents import service
from vigil.incidents.schemas import CommentCreate, IncidentCreate

pytestmark = pytest.mark.usefixtures("browser")

SHOTS = Path("/tmp/shots")


def _shoot(page: Page, server: LiveServer, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    save_screenshot(page, SHOTS / f"notify-{server.backend}-{name}.png")


def _arrange(server: LiveServer) -> str:
    """Rita reports two problems, Ada assigns them to Sam, Sam replies on one: Sam has two notifications
    (the assignments), Rita one (the reply)."""
    people = server.people
    with server.db.unit_of_work() as s:

        def act(who: str) -> auth_service.Actor:
            return auth_service.actor_for(auth_service.resolve_user(s, people[who].email), Channel.LIBRARY)

        numbers = []
        for title in ("VPN drops every hour", "Printer on floor 3 prints blank pages"):
            made = service.create(
                session=s, actor=act("admin"),
                data=IncidentCreate(title=title, requester=people["requester"].email,
                                    assigned_to=people["agent"].email),
            )  # fmt: skip
            numbers.append(made.number)
        service.add_comment(
            session=s, actor=act("agent"), ref=numbers[0],
            data=CommentCreate(body="Could you try the wired network for an hour and tell me if it drops?"),
        )  # fmt: skip
    while worker.run_pending(server.db, batch=50):
        pass
    return numbers[0]


def test_the_bell_and_the_inbox(browser: Browser, live_server: LiveServer) -> None:
    number = _arrange(live_server)
    for width in (390, 1440):  # the phone first: the desk pass then marks them read
        with browser_page(browser, live_server, width=width, height=900 if width > 400 else 844) as page:
            page.goto("/")
            log_in_as(page, live_server, "agent")
            bell = page.get_by_role("link", name="Notifications, 2 unread")
            expect(bell).to_be_visible()  # on a phone too: the bell is outside the collapsed menu
            assert _overflow(page) is None
            _shoot(page, live_server, f"agent-queue-{width}")
            bell.click()
            expect(page).to_have_url(f"{live_server.url}/notifications")
            expect(page.locator(".inbox-item.unread")).to_have_count(2)
            assert _overflow(page) is None
            _shoot(page, live_server, f"agent-inbox-{width}")
            if width == 1440:
                page.get_by_role("button", name=f"Mark read: {number} was assigned to you").click()
                expect(page.get_by_role("link", name="Notifications, 1 unread")).to_be_visible()
                expect(page.locator(".inbox-item.unread")).to_have_count(1)
                page.get_by_role("button", name="Mark all read").click()
                expect(page.get_by_role("link", name="Notifications", exact=True)).to_be_visible()
                expect(page.locator(".bell-count")).to_have_count(0)
                _shoot(page, live_server, f"agent-inbox-read-{width}")
                page.get_by_role("link", name=f"{number} was assigned to you").click()
                expect(page).to_have_url(f"{live_server.url}/incidents/{number}")


def test_a_requester_hears_of_the_reply_in_the_portal(browser: Browser, live_server: LiveServer) -> None:
    number = _arrange(live_server)
    for width in (1440, 390):
        with browser_page(browser, live_server, width=width, height=900 if width > 400 else 844) as page:
            page.goto("/")
            log_in_as(page, live_server, "requester")
            page.get_by_role("link", name="Notifications, 1 unread").click()
            expect(page.locator(".inbox-item")).to_have_count(1)
            assert _overflow(page) is None
            _shoot(page, live_server, f"portal-inbox-{width}")
            if width == 390:
                page.get_by_role("link", name=f"Sam Agent added a comment on {number}").click()
                expect(page).to_have_url(f"{live_server.url}/portal/{number}")
