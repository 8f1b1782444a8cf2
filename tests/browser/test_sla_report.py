"""In headless Chromium: the SLA compliance page at desktop and phone width, light and dark. The chart
(an SVG from pygal, loaded as an image) draws, and nothing is wider than a 390 px screen.

Screenshots go to test-artifacts/, or to $VIGIL_SHOTS as sla-report-<width>-<scheme>.png when set."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import ARTIFACTS, LiveServer, log_in_as, save_screenshot
from tests.conftest import Clock
from tests.factories.auth import make_team
from vigil.auth import service as auth_service
from vigil.core import clock
from vigil.core.actor import Channel
from vigil.incidents import service
from vigil.incidents.schemas import IncidentCreate, IncidentNote

pytestmark = pytest.mark.usefixtures("browser")

#: (month, team, impact x urgency, minutes to acknowledge) of each incident arranged.
PLAN = [
    (8, "Network", "high", 10), (8, "Network", "high", 25), (8, None, "medium", 90),
    (9, "Network", "high", 5), (9, "Service Desk", "medium", 30), (9, "Service Desk", "low", 600),
    (9, None, "high", 40), (10, "Network", "high", 12), (10, "Service Desk", "medium", 300),
    (10, "Service Desk", "low", 60), (11, "Network", "high", 14), (11, None, "medium", 20),
    (11, "Service Desk", "low", None),
]  # fmt: skip


@pytest.fixture
def frozen() -> Iterator[Clock]:
    c = Clock(datetime(2026, 8, 3, 9, 0, tzinfo=UTC))
    clock.set_clock(c)
    yield c
    clock.reset_clock()


def _arrange(server: LiveServer, frozen: Clock) -> None:
    with server.db.unit_of_work() as s:
        admin = auth_service.operator_actor(s, Channel.API)
        make_team(s, admin, name="Network")
        make_team(s, admin, name="Service Desk")
        for month, team, level, minutes in PLAN:
            frozen.now = datetime(2026, month, 3, 9, 0, tzinfo=UTC)
            data = IncidentCreate(title="Slow mail", impact=level, urgency=level, assignment_group=team)
            number = service.create(session=s, actor=admin, data=data).number
            if minutes is not None:
                frozen.advance(minutes=minutes)
                service.acknowledge(session=s, actor=admin, ref=number, data=IncidentNote())
    frozen.now = datetime(2026, 11, 3, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("width", [1440, 390])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_sla_report_page(
    browser: Browser, live_server: LiveServer, frozen: Clock, width: int, scheme: str
) -> None:
    _arrange(live_server, frozen)
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}, color_scheme=scheme
    )
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        page.goto("/reports/sla")
        log_in_as(page, live_server, "admin")
        page.goto("/reports/sla?metric=response")
        expect(page.get_by_role("heading", name="SLA compliance")).to_be_visible()
        chart = page.locator(".sla-chart img")
        expect(chart).to_be_visible()
        page.wait_for_function("() => document.querySelector('.sla-chart img').complete")
        assert chart.evaluate("img => img.naturalWidth") > 0  # the SVG loaded and drew
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width
        box = chart.bounding_box()
        assert box is not None and box["width"] <= width
        expect(page.locator("table.sla-table").first).to_contain_text("P1")
        shots = Path(os.environ.get("VIGIL_SHOTS") or ARTIFACTS)
        shots.mkdir(parents=True, exist_ok=True)
        suffix = "" if os.environ.get("VIGIL_SHOTS") else f"-{live_server.backend}"
        save_screenshot(page, shots / f"sla-report-{width}-{scheme}{suffix}.png")
    finally:
        context.close()
