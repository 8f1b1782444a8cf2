"""The CMDB pages: list with filters, create and edit forms (errors beside fields, a stale form, the retire
confirmation), relationships added and removed, the picker scoped by visibility, the services overview's
health from real incidents, and the impact drawn by dot or shown as a tree where dot is missing."""

from __future__ import annotations

import os
import re
import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from tests.factories.auth import WebClient, login_as, make_team, make_user
from tests.factories.incidents import make_incident
from tests.incidents.test_ui import field_errors, text
from vigil.app import create_app
from vigil.auth.roles import Role
from vigil.cmdb import graph
from vigil.cmdb import service as cmdb_service
from vigil.cmdb.models import ConfigurationItem
from vigil.cmdb.schemas import CICreate, ImpactQuery
from vigil.core.actor import Actor
from vigil.core.db import Database
from vigil.incidents import service as incidents
from vigil.incidents.schemas import IncidentNote


@pytest.fixture
def dot() -> None:
    """Graphviz's dot is installed (.ci/run installs it and sets VIGIL_REQUIRE_GRAPHVIZ: then its absence
    fails instead of skipping)."""
    if shutil.which("dot") is None:
        reason = "Graphviz's dot is not installed (apt install graphviz)"
        if os.environ.get("VIGIL_REQUIRE_GRAPHVIZ") == "1":
            pytest.fail(reason)
        pytest.skip(reason)


def ci(
    session: Session, admin: Actor, name: str, ci_class: str = "business_service", **kw: object
) -> ConfigurationItem:
    return cmdb_service.create(
        session=session, actor=admin, data=CICreate(name=name, ci_class=ci_class, **kw)
    )  # type: ignore[arg-type]


def stack(session: Session, admin: Actor) -> dict[str, ConfigurationItem]:
    """shop (service) depends on app, which runs on host; host is hosted on rack <b> (an odd name)."""
    made = {
        "shop": ci(session, admin, "shop", criticality=2),
        "app": ci(session, admin, "shop-app", "application"),
        "host": ci(session, admin, "web-01", "host", criticality=1),
        "rack": ci(session, admin, "rack <b>&", "host"),
    }
    cmdb_service.add(session, admin, made["shop"], "depends_on", made["app"])
    cmdb_service.add(session, admin, made["app"], "runs_on", made["host"])
    cmdb_service.add(session, admin, made["host"], "hosted_on", made["rack"])
    return made


def web_as(db: Database, session: Session, user_id: uuid.UUID | None) -> WebClient:
    client = WebClient(create_app(db))
    client.__enter__()
    login_as(client, session, user_id)
    return client


def test_the_list_filters_and_pages(web_client: WebClient, session: Session, admin: Actor) -> None:
    team = make_team(session, admin, name="Platform")
    ci(session, admin, "db-01", "database", owner_team=team.name, tags=["pci"])
    ci(session, admin, "db-02", "database", environment="staging")
    ci(session, admin, "payroll", status="planned")
    page = web_client.get("/cis")
    assert page.status_code == 200 and "New CI" in page.text
    for name in ("db-01", "db-02", "payroll"):
        assert name in page.text
    only = text(web_client.get("/cis", params={"ci_class": "database", "environment": "staging"}).text)
    assert "db-02" in only and "db-01" not in only and "payroll" not in only
    assert "db-01" in text(web_client.get("/cis", params={"owner_team": "Platform"}).text)
    assert "db-02" not in text(web_client.get("/cis", params={"tag": "pci"}).text)
    assert "payroll" in text(web_client.get("/cis", params={"status": "planned", "q": "pay"}).text)
    first = web_client.get("/cis", params={"limit": 2})
    nxt = re.search(r'href="(/cis\?[^"]+)" rel="next"', first.text)
    assert nxt is not None
    rest = web_client.get(nxt.group(1).replace("&amp;", "&"))
    assert "payroll" in rest.text and "db-01" not in text(rest.text)
    bad = web_client.get("/cis", params={"environment": "moon"})
    assert bad.status_code == 422 and "Environment: choose" in text(bad.text)


def test_who_sees_the_pages(db: Database, session: Session, admin: Actor) -> None:
    made = stack(session, admin)
    agent = make_user(session, admin, Role.AGENT)
    requester = make_user(session, admin, Role.REQUESTER)
    with web_as(db, session, agent.id) as web:
        page = web.get("/cis")
        assert page.status_code == 200 and "New CI" not in page.text
        detail = web.get(f"/cis/{made['app'].id}")
        assert detail.status_code == 200 and "Add a relationship" not in detail.text
        assert web.get("/cis/new").status_code == 403
        assert web.get("/services").status_code == 200
    with web_as(db, session, requester.id) as web:
        for path in (
            "/cis",
            f"/cis/{made['shop'].id}",
            "/cis/new",
            "/services",
            f"/cis/{made['shop'].id}/edit",
        ):
            assert web.get(path).status_code == 403, path


def test_creating_a_ci_shows_errors_beside_their_fields(web_client: WebClient, session: Session) -> None:
    form = {"name": " ", "ci_class": "host", "criticality": "9", "attributes": "[1, 2]"}
    r = web_client.post("/cis/new", data=form)
    assert r.status_code == 422
    errors = field_errors(r.text)
    assert errors["name"] == "Enter the name."
    assert errors["criticality"] == "Criticality must be at most 4."
    assert "JSON object" in errors["attributes"]
    assert 'value="host" selected' in r.text  # the form keeps what was sent
    made = web_client.post(
        "/cis/new",
        data={
            "name": "lb-01",
            "ci_class": "network_device",
            "criticality": "2",
            "tags": "edge, dmz",
            "attributes": '{"vendor": "F5"}',
            "external_ids": "netbox: 77",
        },  # fmt: skip
        follow_redirects=False,
    )
    assert made.status_code == 303
    page = web_client.get(made.headers["location"])
    assert "CI created." in page.text and "F5" in page.text and "netbox" in page.text and "dmz" in page.text
    clash = web_client.post("/cis/new", data={"name": "lb-01", "ci_class": "network_device"})
    assert clash.status_code == 409 and "already exists" in text(clash.text)


def test_editing_a_ci_and_a_stale_form(web_client: WebClient, session: Session, admin: Actor) -> None:
    item = ci(session, admin, "erp")
    form = {"name": "erp-prod", "environment": "prod", "status": "active", "criticality": "1",
            "description": "The ERP", "version": str(item.version)}  # fmt: skip
    assert "erp" in web_client.get(f"/cis/{item.id}/edit").text
    r = web_client.post(f"/cis/{item.id}/edit", data=form, follow_redirects=False)
    assert r.status_code == 303
    page = web_client.get(r.headers["location"]).text
    assert "erp-prod" in page and "Changes saved." in page
    assert "erp → erp-prod" in text(page)  # the history, worded old → new
    stale = web_client.post(f"/cis/{item.id}/edit", data={**form, "name": "erp-old"})
    assert stale.status_code == 412 and "Someone changed this CI" in text(stale.text)
    bad = web_client.post(f"/cis/{item.id}/edit", data={**form, "version": "2", "attributes": "{oops"})
    assert bad.status_code == 422 and "attributes" in field_errors(bad.text)


def test_retiring_a_ci_with_open_work_asks_first(
    web_client: WebClient, session: Session, admin: Actor
) -> None:
    item = ci(session, admin, "billing")
    incident = make_incident(session, admin, title="Billing is slow", affected_cis=["billing"])
    form = {"name": "billing", "environment": "prod", "status": "retired", "criticality": "3", "version": "1"}
    asked = web_client.post(f"/cis/{item.id}/edit", data=form)
    assert asked.status_code == 409
    assert f'<a href="/incidents/{incident.number}">{incident.number}</a>' in asked.text
    assert "Retire anyway" in asked.text and 'name="confirm" value="true"' in asked.text
    session.expire_all()
    assert session.get(ConfigurationItem, item.id).status == "active"  # type: ignore[union-attr]
    done = web_client.post(f"/cis/{item.id}/edit", data={**form, "confirm": "true"}, follow_redirects=False)
    assert done.status_code == 303
    session.expire_all()
    assert session.get(ConfigurationItem, item.id).status == "retired"  # type: ignore[union-attr]


def test_adding_and_removing_relationships(web_client: WebClient, session: Session, admin: Actor) -> None:
    app = ci(session, admin, "crm-app", "application")
    ci(session, admin, "crm-db", "database")
    ci(session, admin, "crm", "business_service")
    add = web_client.post(
        f"/cis/{app.id}/relationships", data={"kind": "depends_on", "other": "crm-db"}, follow_redirects=False
    )
    assert add.status_code == 303
    inc = {"kind": "depends_on", "other": "crm", "direction": "incoming"}
    assert (
        web_client.post(f"/cis/{app.id}/relationships", data=inc, follow_redirects=False).status_code == 303
    )
    page = text(web_client.get(f"/cis/{app.id}").text)
    assert "crm-app depends on crm-db" in page and "crm-app is depended on by crm" in page
    again = web_client.post(f"/cis/{app.id}/relationships", data={"kind": "depends_on", "other": "crm-db"})
    assert again.status_code == 409 and "already" in text(again.text)
    ghost = web_client.post(f"/cis/{app.id}/relationships", data={"kind": "depends_on", "other": "ghost"})
    assert ghost.status_code == 404 and "ghost" in field_errors(ghost.text)["rel-other"]
    rel = cmdb_service.relationships(session=session, actor=admin, ref=str(app.id))[0]
    gone = web_client.post(f"/cis/{app.id}/relationships/{rel.id}/remove", follow_redirects=False)
    assert gone.status_code == 303
    page = web_client.get(f"/cis/{app.id}").text
    assert f"/relationships/{rel.id}/remove" not in page and "removed a relationship" in page


def test_the_picker_offers_what_the_actor_may_see(db: Database, session: Session, admin: Actor) -> None:
    ci(session, admin, "mail")
    ci(session, admin, "mail-relay-01", "host")
    ci(session, admin, "mail-old", status="retired")
    requester = make_user(session, admin, Role.REQUESTER)
    with web_as(db, session, admin.user_id) as web:
        found = web.get("/cis/picker", params={"q": "mail"}).json()
        assert [c["name"] for c in found] == ["mail", "mail-old", "mail-relay-01"]
        assert set(found[0]) == {"id", "name", "ci_class", "environment"}
    with web_as(db, session, requester.id) as web:
        assert [c["name"] for c in web.get("/cis/picker", params={"q": "mail"}).json()] == ["mail"]


def test_services_health_from_open_incidents(web_client: WebClient, session: Session, admin: Actor) -> None:
    names = {"down": "payments", "degraded": "search", "minor": "wiki", "operational": "chat"}
    for name in names.values():
        service_ci = ci(session, admin, name)
        below = ci(session, admin, f"{name}-db", "database")
        cmdb_service.add(session, admin, service_ci, "depends_on", below)
    for prio, name in (("P1", "payments"), ("P3", "search"), ("P4", "wiki"), ("P4", "payments")):
        make_incident(session, admin, title=f"{name} trouble", affected_cis=[f"{name}-db"], priority=prio,
                      priority_reason="test")  # fmt: skip
    done = make_incident(session, admin, title="chat was down", affected_cis=["chat-db"], priority="P1",
                         priority_reason="test")  # fmt: skip
    incidents.cancel(session=session, actor=admin, ref=done.number, data=IncidentNote(note="a mistake"))
    page = web_client.get("/services")
    assert page.status_code == 200
    found = re.findall(
        r'<tr class="health-row-(\w+)">\s*<td class="title-cell"><a [^>]*>([^<]+)</a>', page.text
    )
    assert found == [("down", "payments"), ("degraded", "search"), ("minor", "wiki"), ("operational", "chat")]
    link = re.search(r'<a href="(/cis/[^"]+#open-work)">2 open</a>', page.text)
    assert link is not None  # the service's page lists them, with the CI each is on
    work = text(web_client.get(link.group(1)).text)
    assert "payments trouble" in work and "on payments-db" in work and "wiki trouble" not in work


def test_the_incident_page_shows_its_impacted_services(
    web_client: WebClient, session: Session, admin: Actor
) -> None:
    made = stack(session, admin)
    incident = make_incident(session, admin, title="Host down", affected_cis=["web-01"])
    page = web_client.get(f"/incidents/{incident.number}").text
    assert "Impacted services" in page and f'href="/cis/{made["shop"].id}"' in page
    assert "2 steps above an affected CI" in text(page)
    assert 'data-ci-picker="multi"' in page and "/static/cmdb-picker.js" in page
    assert 'data-ci-picker="multi"' in web_client.get("/incidents/new").text


@pytest.mark.usefixtures("dot")
def test_the_impact_is_drawn_by_dot(web_client: WebClient, session: Session, admin: Actor) -> None:
    made = stack(session, admin)
    impact = cmdb_service.impact(session=session, actor=admin, ref=str(made["rack"].id), query=ImpactQuery())
    svg = graph.render(impact, dot=True)
    assert svg is not None and svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "rack &lt;b&gt;&amp;" in svg and "<b>" not in svg  # labels are text, escaped
    assert "shop&#45;app" in svg and "business service" in svg and "prefers-color-scheme: dark" in svg
    assert 'class="node service"' in svg and "critical" in svg and ">hosts<" in svg and ">runs<" in svg
    page = web_client.get(f"/cis/{made['rack'].id}")
    assert f'<img src="/cis/{made["rack"].id}/impact.svg"' in page.text
    assert "reaches 3 CIs" in text(page.text) and "1 of them services: shop" in text(page.text)
    drawn = web_client.get(f"/cis/{made['rack'].id}/impact.svg")
    assert drawn.status_code == 200 and drawn.headers["content-type"] == "image/svg+xml"
    assert "default-src 'none'" in drawn.headers["content-security-policy"]
    down = web_client.get(f"/cis/{made['shop'].id}/impact.svg", params={"direction": "downstream"})
    assert down.status_code == 200 and "web&#45;01" in down.text


def test_without_dot_the_page_shows_the_tree(
    web_client: WebClient, session: Session, admin: Actor, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    made = stack(session, admin)
    impact = cmdb_service.impact(session=session, actor=admin, ref=str(made["rack"].id), query=ImpactQuery())
    assert graph.render(impact, dot=False) is None
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH without dot: what `make run` on a bare machine sees
    assert graph.render(impact) is None
    page = web_client.get(f"/cis/{made['rack'].id}")
    assert page.status_code == 200 and "impact.svg" not in page.text
    assert "Install Graphviz (apt install graphviz) to see this as a drawing." in page.text
    tree = text(page.text)
    assert "hosts web-01" in tree and "runs shop-app" in tree and "is depended on by shop" in tree
    assert web_client.get(f"/cis/{made['rack'].id}/impact.svg").status_code == 404


def test_a_drawing_is_cut_to_the_nearest(session: Session, admin: Actor) -> None:
    hub = ci(session, admin, "core", "network_device")
    for n in range(5):
        cmdb_service.add(session, admin, ci(session, admin, f"leaf-{n}", "host"), "connects_to", hub)
    impact = cmdb_service.impact(session=session, actor=admin, ref=str(hub.id), query=ImpactQuery())
    cut = graph.shape(impact, limit=3)
    assert cut.cut and cut.shown == 3 and len(cut.root.children) == 3
    assert not graph.shape(impact).cut
