"""Hostile input at every operation, generated from OpenAPI: control characters, over-long values, forged
cursors and loose types are a 422 naming the field (never a 500, never stored), on both databases.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.access import openapi
from tests.access.openapi import OPERATIONS, Operation, Targets
from tests.factories.auth import api_token, make_user
from tests.factories.incidents import make_incident
from vigil.app import create_app
from vigil.auth.roles import Role
from vigil.cmdb import service as cmdb_service
from vigil.cmdb.schemas import CICreate
from vigil.core.actor import Actor
from vigil.core.db import Database
from vigil.web.problems import REQUEST_VALIDATION

#: NUL breaks PostgreSQL; the others make no sense in a stored value or a reference.
BAD_CHARS = {"nul": "\x00", "bell": "\x07", "escape": "\x1b", "delete": "\x7f"}


@dataclass
class Target:
    client: TestClient
    targets: Targets


@pytest.fixture
def target(db: Database, session: Session, admin: Actor) -> Iterator[Target]:
    incident = make_incident(session, admin, title="Disk full on db-01")
    user = make_user(session, admin, Role.AGENT)
    cmdb_service.create(session=session, actor=admin, data=CICreate(name="core-switch"))
    with TestClient(create_app(db)) as client:
        client.headers["Authorization"] = f"Bearer {api_token(session, admin.user_id, 'admin')}"
        yield Target(
            client,
            Targets(
                incident=incident.number, user=str(user.id), category="Database", token_id=str(uuid.uuid4())
            ),
        )


def _params(op: Operation) -> list[tuple[str, dict[str, Any]]]:
    """Every query parameter of `op` that is a string (or a list of strings), with its schema."""
    spec = openapi.SCHEMA["paths"][op.path][op.method.lower()]
    out = []
    for p in spec.get("parameters", []):
        if p["in"] == "query" and _is_text(p.get("schema", {})):
            out.append((p["name"], p.get("schema", {})))
    return out


def _is_text(schema: dict[str, Any]) -> bool:
    schema = openapi._resolve(schema)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return any(_is_text(s) for s in schema[key])
    if schema.get("type") == "array":
        return _is_text(schema.get("items", {}))
    return schema.get("type") == "string" and "enum" not in schema and "format" not in schema


def _body_fields(op: Operation) -> list[tuple[str, dict[str, Any]]]:
    """Every top-level text field of `op`'s JSON body (arrays of text included)."""
    if op.body_schema is None:
        return []
    schema = openapi._resolve(op.body_schema)
    return [(name, prop) for name, prop in schema.get("properties", {}).items() if _is_text(prop)]


def _is_array(schema: dict[str, Any]) -> bool:
    schema = openapi._resolve(schema)
    if any(s.get("type") == "array" for s in schema.get("anyOf", [])):
        return True
    return schema.get("type") == "array"


def _cases() -> list[tuple[Operation, str, str]]:
    """(operation, where, name): every path parameter, text query parameter and text body field."""
    cases = []
    for op in OPERATIONS:
        cases += [(op, "path", name) for name in re.findall(r"\{(\w+)\}", op.path)]
        cases += [(op, "query", name) for name, _ in _params(op)]
        cases += [(op, "body", name) for name, _ in _body_fields(op)]
    return cases


CASES = _cases()


def _send(t: Target, op: Operation, where: str, name: str, value: str) -> Any:
    url = openapi.url(op, t.targets)
    params = openapi.query(op)
    body = openapi.body(op)
    if where == "path":
        marked = openapi.url(Operation(op.method, op.path.replace("{" + name + "}", "@@"), None), t.targets)
        url = marked.replace("@@", quote(value, safe=""))
    elif where == "query":
        params = {**params, name: value}
    else:
        schema = dict(_body_fields(op))[name]
        body = {**(body or {}), name: [value] if _is_array(schema) else value}
    return t.client.request(op.method, url, params=params, json=body)


def test_every_text_input_is_covered() -> None:
    wheres = {where for _, where, _ in CASES}
    assert wheres == {"path", "query", "body"}
    assert len(CASES) > 40, CASES  # a regression in the generator would silently test nothing


@pytest.mark.parametrize("char", list(BAD_CHARS.values()), ids=list(BAD_CHARS))
def test_control_characters_are_refused_naming_the_field(target: Target, char: str) -> None:
    wrong = {}
    for op, where, name in CASES:
        r = _send(target, op, where, name, f"abc{char}def")
        fields = [e["field"] for e in r.json().get("errors", [])] if r.status_code == 422 else []
        if r.status_code != 422 or not any(f == name or f.startswith(f"{name}.") for f in fields):
            wrong[f"{op} {where}:{name}"] = (r.status_code, r.text[:200])
    assert wrong == {}


def test_tabs_and_line_breaks_are_fine_in_free_text(target: Target) -> None:
    r = target.client.post(
        f"/api/v1/incidents/{target.targets.incident}/comments", json={"body": "line one\n\tline two\r\n"}
    )
    assert r.status_code == 201, r.text
    assert r.json()["body"] == "line one\n\tline two"


def test_lone_surrogates_are_refused(target: Target) -> None:
    raw = '{"title": "broken \\ud800 text"}'
    r = target.client.post(
        "/api/v1/incidents", content=raw.encode(), headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "title", r.text


def test_a_nul_in_a_web_form_is_refused(web_client: Any) -> None:
    r = web_client.post("/incidents/new", data={"title": "a\x00b", "description": "x"})
    assert r.status_code == 422
    assert "control characters" in r.text


# Over-long values ---------------------------------------------------------------------------------------


def _limited_fields() -> list[tuple[Operation, str, int]]:
    out = []
    for op in OPERATIONS:
        for name, prop in _body_fields(op):
            limit = _max_length(prop)
            if limit is not None and op.method in ("POST", "PATCH", "PUT"):
                out.append((op, name, limit))
    return out


def _max_length(schema: dict[str, Any]) -> int | None:
    schema = openapi._resolve(schema)
    for key in ("anyOf", "oneOf"):
        for choice in schema.get(key, []):
            if (found := _max_length(choice)) is not None:
                return found
    if schema.get("type") == "array":
        return _max_length(schema.get("items", {}))
    return schema.get("maxLength")


LIMITED = _limited_fields()


def test_values_at_the_limit_fit_their_columns_and_one_more_is_refused(target: Target) -> None:
    """Every length the schema allows is storable (no column is narrower), and one more is a 422."""
    assert len(LIMITED) > 10
    wrong = {}
    for op, name, limit in LIMITED:
        at_limit = _send(target, op, "body", name, _filler(limit))
        if at_limit.status_code >= 500:
            wrong[f"{op} {name} at {limit}"] = at_limit.text[:200]
        over = _send(target, op, "body", name, _filler(limit + 1))
        if over.status_code != 422:
            wrong[f"{op} {name} at {limit + 1}"] = (over.status_code, over.text[:200])
    assert wrong == {}


def _filler(n: int) -> str:
    """n characters, varied (so 'too repetitive' rules do not hide a length bug), ending in no space."""
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(alphabet[i % len(alphabet)] for i in range(n))


def test_long_references_in_paths_and_queries_are_never_a_500(target: Target) -> None:
    long = "x" * 5000
    wrong = {}
    for op, where, name in CASES:
        if where == "body":
            continue
        r = _send(target, op, where, name, long)
        if r.status_code >= 500:
            wrong[f"{op} {where}:{name}"] = r.text[:200]
    assert wrong == {}


def test_the_longest_valid_email_is_stored_and_usable(target: Target) -> None:
    local, labels = "a" * 64, ["b" * 63, "c" * 63, "d" * 58]
    email = f"{local}@{'.'.join(labels)}.io"
    assert len(email) == 254
    r = target.client.post("/api/v1/users", json={"email": email, "display_name": "Long", "role": "agent"})
    assert r.status_code == 201, r.text
    r = target.client.post("/api/v1/tokens", json={"name": "long", "scope": "read", "user": email})
    assert r.status_code == 201, r.text
    r = target.client.patch(f"/api/v1/users/{email}", json={"active": False})
    assert r.status_code == 200 and r.json()["active"] is False


# Forged cursors -------------------------------------------------------------------------------------------


def _cursor(data: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


FORGED = {
    "int_for_a_time": _cursor({"s": "-created_at", "k": {"t": "raw", "v": 5}, "id": str(uuid.uuid4())}),
    "text_for_a_time": _cursor({"s": "-created_at", "k": {"t": "raw", "v": "x"}, "id": str(uuid.uuid4())}),
    "naive_time": _cursor(
        {"s": "-created_at", "k": {"t": "dt", "v": "2026-01-01T00:00"}, "id": str(uuid.uuid4())}
    ),
    "bad_time": _cursor({"s": "-created_at", "k": {"t": "dt", "v": "yesterday"}, "id": str(uuid.uuid4())}),
    "list_value": _cursor({"s": "-created_at", "k": {"t": "raw", "v": [1, 2]}, "id": str(uuid.uuid4())}),
    "bad_id": _cursor({"s": "-created_at", "k": {"t": "raw", "v": 1}, "id": "nope"}),
    "other_sort": _cursor({"s": "number", "k": {"t": "raw", "v": "INC-1"}, "id": str(uuid.uuid4())}),
    "not_json": base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    "not_base64": "%%%",
    "array": _cursor([1, 2, 3]),
    "nul_in_value": _cursor({"s": "number", "k": {"t": "raw", "v": "INC\u0000"}, "id": str(uuid.uuid4())}),
    "number_for_text": _cursor({"s": "number", "k": {"t": "raw", "v": 12}, "id": str(uuid.uuid4())}),
    "bool_for_text": _cursor({"s": "priority", "k": {"t": "raw", "v": True}, "id": str(uuid.uuid4())}),
}
SORT_OF = {"other_sort": "-created_at", "nul_in_value": "number", "number_for_text": "number"}


@pytest.mark.parametrize("role", [Role.REQUESTER, Role.AGENT, Role.ADMIN])
def test_forged_cursors_are_422_for_every_role(
    db: Database, session: Session, admin: Actor, role: Role
) -> None:
    user = make_user(session, admin, role)
    wrong = {}
    with TestClient(create_app(db)) as client:
        scope = "admin" if role is Role.ADMIN else "write"
        client.headers["Authorization"] = f"Bearer {api_token(session, user.id, scope)}"
        for name, cursor in FORGED.items():
            sort = SORT_OF.get(name, "priority" if name == "bool_for_text" else "-created_at")
            r = client.get("/api/v1/incidents", params={"cursor": cursor, "sort": sort})
            if r.status_code != 422 or r.json()["errors"][0]["field"] != "cursor":
                wrong[name] = (r.status_code, r.text[:200])
        if role is Role.ADMIN:
            r = client.get("/api/v1/audit", params={"cursor": FORGED["int_for_a_time"]})
            assert r.status_code == 422, r.text
    assert wrong == {}


# Loose types ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["0.5", "1700000000", "-3", "1e9"])
def test_numbers_are_not_times(target: Target, value: str) -> None:
    r = target.client.get("/api/v1/incidents", params={"created_before": value})
    assert r.status_code == 422 and r.json()["type"] == REQUEST_VALIDATION, r.text
    assert r.json()["errors"][0]["field"] == "created_before"


@pytest.mark.parametrize("value", [0, 1, "true", "yes", "on", None])
def test_booleans_are_json_booleans(target: Target, value: Any) -> None:
    ref = target.targets.incident
    r = target.client.post(f"/api/v1/incidents/{ref}/comments", json={"body": "hi", "internal": value})
    assert r.status_code == 422, r.text
    r = target.client.patch("/api/v1/incident-categories/Database", json={"active": value})
    assert r.status_code == 422, r.text


# Query strings ---------------------------------------------------------------------------------------------


def test_unknown_and_repeated_query_parameters_are_refused(target: Target) -> None:
    r = target.client.get("/api/v1/incidents", params={"stauts": "open"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "stauts", r.text
    r = target.client.get("/api/v1/tokens", params=[("user", "a@example.com"), ("user", "b@example.com")])
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "user", r.text
    r = target.client.get("/api/v1/incidents", params=[("status", "open"), ("status", "on_hold")])
    assert r.status_code == 200, r.text  # list filters repeat on purpose
