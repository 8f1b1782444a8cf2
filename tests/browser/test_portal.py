"""In headless Chromium: a requester's portal at desk (1440 px) and phone (390 px) widths. Report a problem,
see it listed, open it, reply; no internal field on any portal page, nothing wider than the screen, and
dark mode following the system setting. Screenshots go to /tmp/shots/portal-*.png for a person to look at."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import LiveServer, browser_page, log_in_as, save_screenshot
from tests.browser.test_workspace import _overflow

pytestmark = pytest.mark.usefixtures("browser")

SHOTS = Path("/tmp/shots")
#: Words of the agents' pages a requester never reads on theirs.
INTERNAL = re.compile(r"impact|urgency|priority|assign|\bCIs?\b|\bAPI\b|work note|Incidents", re.I)
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)


def _shoot(page: Page, server: LiveServer, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    save_screenshot(page, SHOTS / f"portal-{server.backend}-{name}.png")


def _clean(page: Page) -> None:
    """No internal word in what the page shows, and no record id or API address in its HTML."""
    shown = page.locator("body").inner_text()
    assert INTERNAL.search(shown) is None, (page.url, INTERNAL.search(shown))
    html = page.content()
    assert UUID.search(html) is None and "/api/" not in html and 'href="/docs"' not in html, page.url


def _journey(page: Page, server: LiveServer, width: int, title: str) -> str:
    """Log in as the requester, report a problem, find it in My requests, open it and reply."""
    page.goto("/")
    log_in_as(page, server, "requester")
    expect(page).to_have_url(re.compile(r"/portal$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("My requests")
    _clean(page)
    if width < 760:  # the top bar folds behind "Menu" on a phone
        page.get_by_text("Menu").click()
    page.locator("header.topbar").get_by_role("link", name="Report a problem").click()
    expect(page).to_have_url(re.compile(r"/portal/new$"))
    # Sent empty: the error is on its field and in the summary, in plain words.
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".error-summary")).to_contain_text("Enter the title.")
    _shoot(page, server, f"{width}-1-new-refused")
    page.get_by_label("In a few words, what is wrong?").fill(title)
    page.get_by_label("What happened").fill("It beeps three times, then the screen stays black.")
    page.get_by_label("It stops me working").check()
    page.get_by_label("Screenshots or files").set_input_files(
        files=[{"name": "beeps.txt", "mimeType": "text/plain", "buffer": b"beep beep beep"}]
    )
    _clean(page)
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("status")).to_have_text("Thank you — we have your request.")
    number = page.locator("h1 .number").inner_text()
    expect(page.locator(".request-status")).to_contain_text("Received")
    expect(page.get_by_role("link", name="beeps.txt")).to_be_visible()

    if width < 760:
        page.get_by_text("Menu").click()
    page.locator("header.topbar").get_by_role("link", name="My requests").click()
    item = page.locator(".request-item", has_text=number)
    expect(item).to_contain_text(title)
    expect(item).to_contain_text("updated just now")
    _shoot(page, server, f"{width}-2-my-requests")
    item.get_by_role("link").click()
    page.get_by_label("Reply").fill("It also smells a bit hot.")
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_role("status")).to_have_text("Your reply was sent.")
    expect(page.locator(".conversation")).to_contain_text("It also smells a bit hot.")
    _clean(page)
    _shoot(page, server, f"{width}-3-request")
    return number


def test_requester_portal_at_desk_width(browser: Browser, live_server: LiveServer) -> None:
    with browser_page(browser, live_server, 1440, 900) as page:
        number = _journey(page, live_server, 1440, "Laptop will not boot")
        assert _overflow(page) is None
        # The agent queue and incident page are the portal's for a requester.
        page.goto("/incidents")
        expect(page).to_have_url(re.compile(r"/portal$"))
        page.goto(f"/incidents/{number}")
        expect(page).to_have_url(re.compile(rf"/portal/{number}$"))


def test_requester_portal_fits_a_phone(browser: Browser, live_server: LiveServer) -> None:
    with browser_page(browser, live_server, 390, 844) as page:
        number = _journey(page, live_server, 390, "Printer on floor 2 prints blank pages every time")
        too_wide = []
        for path in ("/portal", "/portal/new", f"/portal/{number}", "/account"):
            page.goto(path)
            expect(page.locator("main")).to_be_visible()
            assert page.evaluate("document.documentElement.scrollWidth <= innerWidth"), _overflow(page)
            too_wide.append(_overflow(page))
        assert [w for w in too_wide if w] == []
        _shoot(page, live_server, "390-4-account")


def test_portal_dark_mode(browser: Browser, live_server: LiveServer) -> None:
    for scheme, dark in (("light", False), ("dark", True)):
        context = browser.new_context(
            base_url=live_server.url, color_scheme=scheme, viewport={"width": 1440, "height": 900}
        )
        try:
            page = context.new_page()
            page.goto("/portal/new")
            log_in_as(page, live_server, "requester")
            expect(page).to_have_url(re.compile(r"/portal/new$"))
            background = page.evaluate("getComputedStyle(document.body).backgroundColor")
            card = page.evaluate("getComputedStyle(document.querySelector('.card')).backgroundColor")
            for colour in (background, card):
                red, green, blue = (int(v) for v in re.findall(r"\d+", colour)[:3])
                assert (red + green + blue < 150) is dark, colour
            _shoot(page, live_server, f"{scheme}-new")
        finally:
            context.close()
