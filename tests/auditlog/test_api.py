"""Audit REST API: search with filters, the CSV download, verification, rights, query counts."""

from __future__ import annotations

import base64
import csv
import dataclasses
import io
from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.auditlog.conftest import build_app, make_admin
from tests.factories.auth import api_token, make_user
from tests.factories.incidents import make_incident
from vigil.auth.roles import Role
from vigil.core.actor import Actor
from vigil.core.db import Database


@pytest.fixture
def app(db: Database) -> FastAPI:
    return build_app(db)


@pytest.fixture
def client(app: FastAPI, session: Session, admin: Actor) -> Iterator[TestClient]:
    """An administrator's admin-scope token."""
    with TestClient(app) as c:
        c.headers["Authorization"] = f"Bearer {api_token(session, admin.user_id, 'admin')}"
        yield c


def seed(db: Database, n: int, **actor_fields: object) -> Actor:
    with db.unit_of_work() as s:
        admin = dataclasses.replace(make_admin(s), **actor_fields)  # type: ignore[arg-type]
        for i in range(n):
            make_incident(s, admin, title=f"Queue backlog {i}")
        return admin


def test_search_filters_and_pages(client: TestClient, db: Database) -> None:
    seed(db, 3, request_id="batch-1")
    r = client.get("/api/v1/audit", params={"action": "incident.", "limit": 2})
    assert r.status_code == 200, r.text
    body = r.json()
    assert [i["action"] for i in body["items"]] == ["incident.create"] * 2 and body["next_cursor"]
    first = body["items"][0]
    assert set(first) == {
        "id",
        "seq",
        "occurred_at",
        "actor_id",
        "actor_name",
        "action",
        "object_type",
        "object_id",
        "changes",
        "channel",
        "request_id",
        "hash",
        "key_id",
    }
    assert first["changes"]["title"] == [None, "Queue backlog 2"] and first["request_id"] == "batch-1"
    rest = client.get(
        "/api/v1/audit", params={"action": "incident.", "limit": 2, "cursor": body["next_cursor"]}
    )
    assert [i["changes"]["title"][1] for i in rest.json()["items"]] == ["Queue backlog 0"]
    assert rest.json()["next_cursor"] is None
    one = client.get("/api/v1/audit", params={"object_id": first["object_id"]}).json()["items"]
    assert [i["id"] for i in one] == [first["id"]]


def test_bad_filters_are_problem_json(client: TestClient) -> None:
    huge = base64.urlsafe_b64encode(b'{"s":"-seq","seq":100000000000000000000}').decode()
    for params in (
        {"limit": 501},
        {"channel": "fax"},
        {"occurred_after": "yesterday"},
        {"occurred_before": "9999-12-31T23:59:59-05:00"},  # past year 9999 in UTC
        {"cursor": "x"},
        {"cursor": huge},
    ):
        r = client.get("/api/v1/audit", params=params)
        assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json", params


def test_csv_export(client: TestClient, db: Database) -> None:
    seed(db, 3, display_name="=1+2", request_id="@SUM(A1)")
    r = client.get("/api/v1/audit/export.csv", params={"action": "incident.create", "limit": 1})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.headers["content-disposition"].startswith('attachment; filename="vigil-audit-')
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0][:3] == ["seq", "occurred_at", "actor_name"] and rows[0][-2:] == ["changes", "hash"]
    assert len(rows) == 4  # the header and every match: an export ignores limit and cursor
    assert {(row[2], row[8]) for row in rows[1:]} == {("'=1+2", "'@SUM(A1)")}


PATHS = ("/api/v1/audit", "/api/v1/audit/export.csv", "/api/v1/audit/verify", "/api/v1/audit/anchor")


@pytest.mark.parametrize("role", [Role.REQUESTER, Role.AGENT, Role.CHANGE_MANAGER, Role.MANAGER, Role.ADMIN])
def test_only_admin_scope_tokens_of_admins(app: FastAPI, session: Session, admin: Actor, role: Role) -> None:
    user = make_user(session, admin, role)
    with TestClient(app) as client:
        assert {client.get(path).status_code for path in PATHS} == {401}
        # An administrator's token without the admin scope acts as a manager.
        client.headers["Authorization"] = f"Bearer {api_token(session, user.id, 'write')}"
        for path in PATHS:
            r = client.get(path)
            assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json", path


def test_verify_reports_intact_and_broken_chains(client: TestClient, db: Database) -> None:
    seed(db, 2)
    r = client.get("/api/v1/audit/verify")
    assert r.status_code == 200 and r.json()["ok"] is True and r.json()["problem"] is None
    checked = r.json()["checked"]
    with db.unit_of_work() as s:
        s.execute(
            text("UPDATE audit_record SET actor_name = 'Mallory' WHERE seq = :seq"), {"seq": checked - 1}
        )
        rid = s.execute(text("SELECT id FROM audit_record WHERE seq = :seq"), {"seq": checked - 1}).scalar()
    r = client.get("/api/v1/audit/verify")
    assert r.status_code == 200 and r.json() == {
        "ok": False,
        "checked": checked - 1,
        "problem": {
            "kind": "changed",
            "seq": checked - 1,
            "record_id": rid,
            "detail": f"record id {rid} (seq {checked - 1}) was altered",
        },
        "unsealed": 0,
        "oldest_unsealed_seconds": None,
    }


def test_anchor_of_an_intact_chain_and_409_for_a_broken_one(client: TestClient, db: Database) -> None:
    seed(db, 2)
    r = client.get("/api/v1/audit/anchor")
    assert r.status_code == 200, r.text
    anchor = r.json()
    assert set(anchor) == {"version", "seq", "hash", "records", "at", "key_id", "mac"}
    assert anchor["seq"] == anchor["records"] == client.get("/api/v1/audit/verify").json()["checked"]
    with db.unit_of_work() as s:
        s.execute(text("UPDATE audit_record SET actor_name = 'Mallory' WHERE seq = 1"))
    r = client.get("/api/v1/audit/anchor")
    assert r.status_code == 409 and "not anchored: changed at seq 1" in r.json()["detail"]


def test_search_query_count_does_not_grow(
    client: TestClient, db: Database, count_queries: Callable[[], list[str]]
) -> None:
    def queries() -> int:
        before = len(count_queries())
        assert client.get("/api/v1/audit", params={"limit": 500}).status_code == 200
        return len(count_queries()) - before

    seed(db, 2)
    queries()  # the first use of the token records its last use
    few = queries()
    seed(db, 25)
    assert queries() == few
