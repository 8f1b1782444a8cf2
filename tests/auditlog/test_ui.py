"""The admin audit page: table, filters, paging, export link, chain status, refusals."""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.auditlog.conftest import build_app
from tests.factories.auth import WebClient, login_as, make_user
from tests.factories.incidents import make_incident
from vigil.auth.roles import Role
from vigil.core import auditseal
from vigil.core.actor import Actor
from vigil.core.db import Database

ROW_ACTION = re.compile(r"<td><code>([a-z_.]+)</code></td>")
NEXT = re.compile(r'<a class="button" href="(\?[^"]+)">Next page')
EXPORT = re.compile(r'<a class="button export" href="([^"]+)"')
BANNER = re.compile(r'<p class="banner (notice|error)" role="(?:status|alert)">([^<]*)</p>')


@pytest.fixture
def app(db: Database, session: Session, admin: Actor) -> FastAPI:
    for i in range(3):
        make_incident(session, admin, title=f"VPN drops {i}")
    auditseal.seal(session)  # written inside the test's own unit of work: chain them before the pages look
    return build_app(db)


@pytest.fixture
def client(app: FastAPI, session: Session, admin: Actor) -> Iterator[WebClient]:
    with WebClient(app) as c:
        login_as(c, session, admin.user_id)
        yield c


def page(client: TestClient, query: str = "", status: int = 200) -> str:
    r = client.get(f"/admin/audit{query}")
    assert r.status_code == status, r.text
    return html.unescape(r.text)


def test_page_lists_records_and_chain_status(client: TestClient) -> None:
    body = page(client)
    assert ROW_ACTION.findall(body) == ["incident.create"] * 3 + ["user.create"]
    assert BANNER.findall(body) == [] and "Verify the chain" in body, "the chain is walked only on request"
    body = page(client, "?verify=1")
    assert BANNER.findall(body) == [("notice", "Chain intact: 4 records")]
    assert "Administrator" in body and "VPN drops 2" in body and "Export CSV" in body


def test_filters_paging_and_export_link_keep_the_selection(client: TestClient) -> None:
    body = page(client, "?action=incident.&limit=2&channel=api")
    assert ROW_ACTION.findall(body) == ["incident.create"] * 2
    assert 'value="incident."' in body and '<option value="api" selected>' in body
    next_url = NEXT.search(body)
    assert next_url is not None
    query = parse_qs(urlsplit(next_url.group(1)).query)
    assert query["action"] == ["incident."] and query["channel"] == ["api"] and query["cursor"]
    assert ROW_ACTION.findall(page(client, next_url.group(1))) == ["incident.create"]
    export = EXPORT.search(body)
    assert export is not None and export.group(1) == "/admin/audit/export.csv?action=incident.&channel=api"
    r = client.get(export.group(1))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert len(list(csv.reader(io.StringIO(r.text)))) == 4


def test_invalid_filters_show_errors(client: TestClient) -> None:
    body = page(client, "?occurred_after=soon&channel=fax", status=422)
    assert "occurred after:" in body and "channel:" in body
    assert "No audit records match" in body
    assert "malformed cursor" in page(client, "?cursor=zzz", status=422)


def test_a_broken_chain_is_a_red_banner(client: TestClient, db: Database) -> None:
    with db.unit_of_work() as s:
        s.execute(text("DELETE FROM audit_record WHERE seq = 2"))
    body = page(client, "?verify=1")
    [(kind, message)] = BANNER.findall(body)
    assert kind == "error" and message.startswith("Chain broken: removed at seq 2: records 2..2 are missing")
    assert "Show the records around seq 2" in body


@pytest.mark.parametrize("role", [Role.AGENT, Role.MANAGER])
def test_non_admins_get_an_error_page(app: FastAPI, session: Session, admin: Actor, role: Role) -> None:
    with WebClient(app) as client:
        login_as(client, session, make_user(session, admin, role).id)
        assert "audit.read" in page(client, status=403)
        assert "audit.verify" in page(client, "?verify=1", status=403)
        assert client.get("/admin/audit/export.csv").status_code == 403


def test_login_required(app: FastAPI) -> None:
    r = TestClient(app).get("/admin/audit?action=incident.", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
