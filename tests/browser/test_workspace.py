"""In headless Chromium: the agent workspace. Views with live counts, a saved view, the keyboard shortcuts
(/ j k Enter c a ?), editing an incident in place, assigning it to oneself, the collapsed top bar and no
page wider than a 390 px screen, and dark mode following the system setting."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import ARTIFACTS, LiveServer, browser_page, log_in_as, save_screenshot
from tests.factories.auth import make_team
from tests.factories.incidents import make_incident
from vigil.auth import service as auth_service
from vigil.core.actor import Channel

pytestmark = pytest.mark.usefixtures("browser")

#: Pages an agent or administrator uses, checked at phone width.
PAGES = ("/incidents", "/incidents/new", "/incidents/{number}", "/account", "/admin/audit", "/admin/people")


def _arrange(server: LiveServer) -> list[str]:
    """The agent Sam in team Network; three open incidents there (one Sam's) and one elsewhere."""
    with server.db.unit_of_work() as s:
        admin = auth_service.operator_actor(s, Channel.API)
        sam = auth_service.resolve_user(s, server.people["agent"].email)
        make_team(s, admin, sam, name="Network")
        numbers = [
            make_incident(s, admin, title="Core router CPU at 100%", impact="high", urgency="high",
                          assignment_group="Network", assigned_to=str(sam.id)).number,
            make_incident(s, admin, title="Packet loss on the storage uplink", assignment_group="Network").number,
            make_incident(s, admin, title="Wi-Fi slow on floor 3", assignment_group="Network").number,
            make_incident(s, admin, title="Printer queue stuck").number,
        ]  # fmt: skip
    return numbers


def _view(page: Page, label: str) -> str:
    link = page.get_by_role("navigation", name="Views").get_by_role("link", name=re.compile(f"^{label} "))
    return link.locator(".count").inner_text()


#: The outermost elements that reach past the screen's right edge, to name them when a page overflows.
WIDEST = """[...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > innerWidth + 1 && !e.closest('.table-wrap'))
  .filter(e => !(e.parentElement && e.parentElement.getBoundingClientRect().right > innerWidth + 1))
  .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().width))"""


def _overflow(page: Page) -> str | None:
    """What makes the page wider than the screen, or None when it fits."""
    width = page.evaluate("document.documentElement.scrollWidth")
    if width <= page.viewport_size["width"]:  # type: ignore[index]
        return None
    return f"{page.url} is {width} px wide: {page.evaluate(WIDEST)}"


def test_views_keyboard_and_in_place_edit(
    page: Page, live_server: LiveServer, shoot: Callable[[str], Path]
) -> None:
    numbers = _arrange(live_server)
    page.set_viewport_size({"width": 1440, "height": 900})
    log_in_as(page, live_server, "agent")
    page.goto("/incidents")
    assert (_view(page, "My open"), _view(page, "Unassigned in my teams"), _view(page, "My teams")) == (
        "1",
        "2",
        "3",
    )
    assert _view(page, "All open") == "4"
    shoot("1-queue-1440")

    page.get_by_role("link", name=re.compile("^Unassigned in my teams")).click()
    expect(page.locator("table.queue tbody tr")).to_have_count(2)
    # Save what is shown as a personal view; it is listed and replays the same list.
    page.get_by_label("Name of the view").fill("Network triage")
    page.get_by_role("button", name="Save as view").click()
    page.goto("/incidents")
    page.get_by_role("navigation", name="Views").get_by_role("link", name="Network triage").click()
    expect(page.locator("table.queue tbody tr")).to_have_count(2)

    # "/" focuses the search; j and k move through the rows; Enter opens the selected one.
    page.goto("/incidents?view=all&sort=number")
    page.keyboard.press("/")
    expect(page.locator("input[type=search]")).to_be_focused()
    page.keyboard.press("Escape")
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    page.keyboard.press("j")
    selected = page.locator("table.queue tbody tr.selected")
    expect(selected).to_have_count(1)
    expect(selected.get_by_role("link")).to_have_text(numbers[1])
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(f"/incidents/{numbers[1]}$"))
    page.wait_for_load_state()  # the URL changes before the new page's script binds its keys

    # "a" assigns it to me, "c" goes to the comment box, "?" lists the keys.
    page.keyboard.press("a")
    expect(page.get_by_role("status")).to_have_text("Assigned to you.")
    expect(page.locator(".side-col")).to_contain_text("Sam Agent")
    page.wait_for_load_state()
    page.keyboard.press("c")
    expect(page.locator("textarea[name=body]")).to_be_focused()
    page.keyboard.type("Looking at the uplink optics now.")
    page.keyboard.press("Escape")
    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    shoot("2-shortcuts")
    page.get_by_role("dialog").get_by_role("button", name="Close").click()
    expect(page.get_by_role("dialog")).to_be_hidden()

    # Edit in place: the page's form is the API's PATCH; the timeline says what changed in words.
    page.get_by_text("Edit details").click()
    page.get_by_label("Title").fill("Packet loss on the storage uplink (optic)")
    page.get_by_label("Urgency").select_option("high")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Packet loss on the storage uplink (optic)")
    expect(page.locator(".timeline")).to_contain_text("Sam Agent")
    shoot("3-incident-1440")

    page.goto("/incidents")
    assert _view(page, "My open") == "2"
    assert _view(page, "Unassigned in my teams") == "1"


@pytest.fixture
def phone(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    with browser_page(browser, live_server, 390, 844) as p:
        yield p


def test_every_page_fits_a_phone_and_the_menu_folds(phone: Page, live_server: LiveServer) -> None:
    numbers = _arrange(live_server)
    log_in_as_admin = live_server.people["admin"]
    phone.goto("/login")
    phone.get_by_label("Email").fill(log_in_as_admin.email)
    phone.get_by_label("Password").fill(log_in_as_admin.password)
    phone.get_by_role("button", name="Log in").click()
    expect(phone).to_have_url(re.compile("/incidents"))
    # The top bar's links are behind "Menu" on a phone.
    nav = phone.get_by_role("navigation", name="Main")
    expect(nav).to_be_hidden()
    phone.get_by_text("Menu").click()
    expect(nav.get_by_role("link", name="Incidents")).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    too_wide = []
    for path in PAGES:
        phone.goto(path.format(number=numbers[0]))
        expect(phone.locator("main")).to_be_visible()
        too_wide.append(_overflow(phone))
        name = path.strip("/").replace("/", "-").replace("{number}", "incident") or "home"
        save_screenshot(phone, ARTIFACTS / f"workspace-{live_server.backend}-390-{name}.png")
    assert [w for w in too_wide if w] == []


def test_dark_mode_follows_the_system(browser: Browser, live_server: LiveServer) -> None:
    _arrange(live_server)
    for scheme, dark in (("light", False), ("dark", True)):
        context = browser.new_context(
            base_url=live_server.url, color_scheme=scheme, viewport={"width": 1440, "height": 900}
        )
        try:
            page = context.new_page()
            log_in_as(page, live_server, "agent")
            page.goto("/incidents")
            background = page.evaluate("getComputedStyle(document.body).backgroundColor")
            ink = page.evaluate("getComputedStyle(document.body).color")
            red, green, blue = (int(v) for v in re.findall(r"\d+", background)[:3])
            assert (red + green + blue < 150) is dark, background
            assert (sum(int(v) for v in re.findall(r"\d+", ink)[:3]) > 450) is dark, ink
            save_screenshot(page, ARTIFACTS / f"workspace-{live_server.backend}-{scheme}-queue.png")
            assert page.evaluate("document.querySelector('link[rel=icon]').href").endswith(
                "/static/favicon.svg"
            )
            assert page.request.get("/static/favicon.svg").ok
        finally:
            context.close()
