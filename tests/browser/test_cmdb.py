"""In headless Chromium: the CMDB pages. From the CI list to a CI's page with its impact drawn by Graphviz,
a relationship added by typing into the CI picker and choosing with the keyboard, and the services
overview; every page at 1440 and 390 px (light, and the CI page dark too) with nothing wider than the
phone's screen. Screenshots go to /tmp/shots/cmdb-*.png."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import LiveServer, browser_page, log_in_as, save_screenshot
from tests.browser.test_workspace import WIDEST
from tests.cmdb.test_ui import dot  # noqa: F401 - the fixture: Graphviz's dot is installed
from vigil.auth import service as auth_service
from vigil.cmdb import service as cmdb_service
from vigil.cmdb.schemas import CICreate
from vigil.core.actor import Channel
from vigil.incidents import service
from vigil.incidents.schemas import IncidentCreate

pytestmark = pytest.mark.usefixtures("browser")
SHOTS = Path("/tmp/shots")


def _arrange(server: LiveServer) -> dict[str, str]:
    """A shop: the service depends on an app running on two hosts, one on a database; an open P2."""
    with server.db.unit_of_work() as s:
        admin = auth_service.operator_actor(s, Channel.API)

        def made(name: str, ci_class: str, **kw: object) -> object:
            data = CICreate(name=name, ci_class=ci_class, **kw)  # type: ignore[arg-type]
            return cmdb_service.create(session=s, actor=admin, data=data)

        shop = made("Online shop", "business_service", criticality=1, description="Where customers buy.")
        payments = made("Payments", "business_service", criticality=2)
        made("Intranet", "business_service", criticality=3)
        app = made("shop-frontend", "application", attributes={"language": "Python", "repo": "git/shop"})
        db = made("orders-db", "database", tags=["pci"])
        hosts = [made(f"web-0{n}", "host") for n in (1, 2)]
        made("web-09-spare", "host", status="planned")
        cmdb_service.add(s, admin, shop, "depends_on", app)
        cmdb_service.add(s, admin, payments, "depends_on", db)
        cmdb_service.add(s, admin, app, "depends_on", db)
        for host in hosts:
            cmdb_service.add(s, admin, app, "runs_on", host)
        data = IncidentCreate(title="Orders time out", affected_cis=["orders-db"], priority="P2",
                              priority_reason="checkout slow")  # fmt: skip
        service.create(session=s, actor=admin, data=data)
        return {"db": str(db.id), "host": str(hosts[0].id), "shop": str(shop.id)}  # type: ignore[attr-defined]


def _fits(page: Page, name: str, width: int) -> None:
    save_screenshot(page, SHOTS / f"cmdb-{name}-{width}.png")
    too_wide = page.evaluate(WIDEST) if page.evaluate("document.documentElement.scrollWidth") > width else []
    assert too_wide == [], f"{page.url} is wider than {width} px: {too_wide}"


@pytest.mark.usefixtures("dot")
def test_list_detail_relate_with_the_picker_and_services(browser: Browser, live_server: LiveServer) -> None:
    ids = _arrange(live_server)
    with browser_page(browser, live_server, width=1440) as page:
        page.goto("/cis")
        log_in_as(page, live_server, "admin")
        page.goto("/cis")
        expect(page.get_by_role("heading", name="Configuration items")).to_be_visible()
        _fits(page, "list", 1440)
        page.get_by_role("link", name="orders-db").click()
        expect(page.get_by_role("heading", name="orders-db", exact=True)).to_be_visible()
        graph = page.locator(".impact-graph img")
        expect(graph).to_be_visible()
        page.wait_for_function("() => document.querySelector('.impact-graph img').complete")
        assert graph.evaluate("img => img.naturalWidth") > 0  # dot drew it and the SVG loaded
        expect(page.locator("#open-work")).to_contain_text("Orders time out")
        _fits(page, "detail", 1440)

        # Relate the database to a host: type part of its name, arrow down to it, Enter, submit.
        page.get_by_label("Direction", exact=True).select_option("outgoing")
        page.get_by_label("Kind", exact=True).select_option("hosted_on")
        other = page.get_by_label("Other CI")
        other.press_sequentially("web-0", delay=30)
        options = page.get_by_role("listbox").get_by_role("option")
        expect(options).to_have_count(3)
        expect(other).to_have_attribute("aria-expanded", "true")
        other.press("ArrowDown")
        expect(options.first).to_have_attribute("aria-selected", "true")
        _fits(page, "picker", 1440)
        other.press("Enter")
        expect(other).to_have_value("web-01")
        expect(page.get_by_role("listbox")).to_be_hidden()
        page.get_by_role("button", name="Add relationship").click()
        expect(page.get_by_role("status")).to_have_text("Relationship added.")
        expect(page.locator("section", has_text="Relationships")).to_contain_text("orders-db is hosted on")

        page.goto(f"/cis/{ids['host']}")  # the host's failure now reaches the database and both services
        expect(page.locator(".impact-graph img")).to_be_visible()
        expect(page.get_by_text("2 of them services")).to_be_visible()
        page.goto("/services")
        rows = page.locator("table.services tbody tr")
        expect(rows.first).to_contain_text("Online shop")
        expect(rows.first).to_contain_text("Degraded")
        expect(page.locator("tr", has_text="Intranet")).to_contain_text("Operational")
        _fits(page, "services", 1440)
        page.goto(f"/cis/{ids['db']}/edit")
        _fits(page, "edit", 1440)
        # Retiring the database, which has an open incident on it, asks first and names the incident.
        page.get_by_label("Status").select_option("retired")
        page.get_by_role("button", name="Save changes").click()
        expect(page.get_by_role("heading", name="Retire orders-db with open work on it?")).to_be_visible()
        expect(page.locator(".confirm-retire")).to_contain_text("INC-000001")
        _fits(page, "retire", 1440)
        page.get_by_role("button", name="Retire anyway").click()
        expect(page.get_by_role("status")).to_have_text("Changes saved.")
        expect(page.locator(".cmdb-head")).to_contain_text("retired")
        page.goto("/cis/new")
        _fits(page, "new", 1440)


@pytest.mark.usefixtures("dot")
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_page_fits_a_phone(browser: Browser, live_server: LiveServer, scheme: str) -> None:
    ids = _arrange(live_server)
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 844}, color_scheme=scheme
    )
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        page.goto("/cis")
        log_in_as(page, live_server, "admin")
        suffix = "" if scheme == "light" else "-dark"
        for name, path in (
            ("list", "/cis"),
            ("detail", f"/cis/{ids['db']}"),
            ("detail-down", f"/cis/{ids['shop']}?direction=downstream"),
            ("edit", f"/cis/{ids['db']}/edit"),
            ("new", "/cis/new"),
            ("services", "/services"),
        ):
            page.goto(path)
            if name.startswith("detail"):
                page.wait_for_function("() => document.querySelector('.impact-graph img').complete")
            _fits(page, name + suffix, 390)
    finally:
        context.close()
