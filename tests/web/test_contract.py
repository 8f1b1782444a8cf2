"""The contract generated clients build on: every operation documents its errors with the one Problem
schema, its headers and a summary; a body in another format is a 415; malformed JSON names the body."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

METHODS = {"get", "post", "put", "patch", "delete"}


def _operations(client: TestClient) -> list[tuple[str, str, dict]]:  # type: ignore[type-arg]
    doc = client.get("/openapi.json").json()
    return [(p, m, op) for p, ops in doc["paths"].items() for m, op in ops.items() if m in METHODS]


def test_every_operation_types_its_errors_and_headers(api_client: TestClient) -> None:
    doc = api_client.get("/openapi.json").json()
    assert doc["servers"] and "Problem" in doc["components"]["schemas"]
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    ops = _operations(api_client)
    assert len(ops) > 30
    for path, method, op in ops:
        where = f"{method.upper()} {path}"
        assert op.get("summary") and re.fullmatch(r"[a-z_]+", op["operationId"]), where
        assert op.get("tags"), where
        for code, response in op["responses"].items():
            assert "X-Request-ID" in response.get("headers", {}), (where, code)
            if int(code) >= 400:
                assert response["content"] == {
                    "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
                }, (where, code)
        codes = set(op["responses"])
        if path.startswith("/api/") and path != "/api/v1/health":
            assert "503" in codes, where
            if "security" in op or any(s for s in doc.get("security", [])):
                assert {"401", "403", "422"} <= codes, where
        if "application/json" in op.get("requestBody", {}).get("content", {}):
            assert "415" in codes, where
        if any(p["name"] == "Idempotency-Key" for p in op.get("parameters", [])):
            success = next(r for c, r in op["responses"].items() if c.startswith("2"))
            assert {"Idempotency-Key", "Idempotent-Replayed"} <= set(success["headers"]), where


def test_sort_keys_have_member_names(api_client: TestClient) -> None:
    schemas = api_client.get("/openapi.json").json()["components"]["schemas"]
    sort = schemas["SortKey"]
    names = dict(zip(sort["enum"], sort["x-enum-varnames"], strict=True))
    assert names["-created_at"] == "CREATED_AT_DESC" and names["priority"] == "PRIORITY"


def test_a_body_in_another_format_is_a_415(api_client: TestClient) -> None:
    for headers in (
        {"Content-Type": "text/plain"},
        {"Content-Type": "application/x-www-form-urlencoded"},
        {},
    ):
        r = api_client.post("/api/v1/incidents", content=b"title=Disk full", headers=headers)
        assert r.status_code == 415, (headers, r.text)
        body = r.json()
        assert (
            body["type"] == "urn:vigil:problem:unsupported-media-type"
            and "application/json" in body["detail"]
        )
    assert api_client.post("/api/v1/incidents", json={"title": "Disk full"}).status_code == 201
    # A charset or a +json type is still JSON.
    r = api_client.post(
        "/api/v1/incidents",
        content=b'{"title": "Disk full"}',
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert r.status_code == 201


def test_malformed_json_names_the_body_not_a_bogus_field(api_client: TestClient) -> None:
    r = api_client.post(
        "/api/v1/incidents", content=b'{"title": "x",', headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 422
    body = r.json()
    assert body["type"] == "urn:vigil:problem:request-validation"
    assert [e["field"] for e in body["errors"]] == ["body"] and "not valid JSON" in body["errors"][0][
        "message"
    ]
