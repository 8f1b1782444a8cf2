"""In headless Chromium with every request off this machine refused: /docs renders Swagger UI from
Vigil's own assets (Swagger UI from the fastapi-offline package) and lists the API's operations."""

from __future__ import annotations

from urllib.parse import urlsplit

from playwright.sync_api import Page, Route, expect

from tests.browser.conftest import ARTIFACTS, LiveServer, save_screenshot


def test_api_docs_render_with_the_network_blocked(page: Page, live_server: LiveServer) -> None:
    outside: list[str] = []

    def only_loopback(route: Route) -> None:
        if urlsplit(route.request.url).hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_loopback)
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto("/docs")
    # Swagger UI parses its 1.5 MB bundle and the whole OpenAPI document before it draws anything: on a
    # loaded 2-core CI machine that took longer than the default 5 s once.
    expect(page.get_by_role("heading", level=1)).to_contain_text("Vigil", timeout=20_000)
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/incidents").first).to_be_visible()
    assert page.locator(".opblock").count() > 20
    assert outside == []
    ARTIFACTS.mkdir(exist_ok=True)
    save_screenshot(page, ARTIFACTS / f"docs-offline-{live_server.backend}-1440.png", full_page=False)
    page.set_viewport_size({"width": 390, "height": 844})
    save_screenshot(page, ARTIFACTS / f"docs-offline-{live_server.backend}-390.png", full_page=False)
