"""The OpenAPI document as client generators need it, completed in one place for every domain's routes.

Routes declare which errors they can answer (`problems.responses`, `versions.ETAG_HEADER`); this module
gives each error response the one `Problem` schema as `application/problem+json` (so generated clients get
a typed error, not `None`), adds the 415 of every JSON-body operation and the 503 every database-backed
operation can answer, declares `X-Request-ID` on every response and the idempotency headers where an
operation takes `Idempotency-Key`, names enum members whose values are not identifiers
(`x-enum-varnames`), and adds a `servers` entry.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from vigil.web.problems import PROBLEM, TITLES

REF = "#/components/schemas/Problem"

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "An RFC 9457 problem: every error Vigil answers. `type` tells kinds of error apart "
    "(docs/api.md lists them); kinds may add members (e.g. `version`, `allowed_actions`).",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": "A URI naming the kind of problem, or about:blank."},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string", "description": "What went wrong, for people."},
        "instance": {"type": "string", "description": "The request path."},
        "request_id": {"type": "string", "description": "As in the X-Request-ID header and the audit log."},
        "errors": {
            "type": "array",
            "description": "On every 422: each field at fault and why.",
            "items": {"$ref": "#/components/schemas/ProblemFieldError"},
        },
    },
    "additionalProperties": True,
}
FIELD_ERROR_SCHEMA: dict[str, Any] = {
    "title": "ProblemFieldError",
    "type": "object",
    "required": ["field", "message"],
    "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
}
HEADER = {"schema": {"type": "string"}}
REQUEST_ID = {"description": "The request's id (yours if you sent a sane one).", **HEADER}
IDEMPOTENCY = {
    "Idempotency-Key": {"description": "The key this answer is stored under.", **HEADER},
    "Idempotent-Replayed": {"description": "`true` when this is the stored first answer.", **HEADER},
}
RATE_HEADERS = {
    "RateLimit-Policy": {"description": 'The limit nearest to running out: `"token";q=600;w=60`.', **HEADER},
    "RateLimit": {"description": 'What is left of it: `"token";r=42;t=17` (requests, seconds).', **HEADER},
}
RETRY_AFTER = {"description": "Seconds to wait before retrying.", **HEADER}
EXTRA_TITLES = {413: "Content too large", 429: "Too many requests", 503: "Service unavailable"}


def install(app: FastAPI) -> None:
    """Build the document once, on first request of /openapi.json, with the additions above."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            doc = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
                servers=[{"url": "/", "description": "this Vigil server"}],
            )
            complete(doc)
            app.openapi_schema = doc
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def complete(doc: dict[str, Any]) -> None:
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"], schemas["ProblemFieldError"] = PROBLEM_SCHEMA, FIELD_ERROR_SCHEMA
    for name in ("HTTPValidationError", "ValidationError"):  # FastAPI's 422, never answered by Vigil
        schemas.pop(name, None)
    for path, operations in doc.get("paths", {}).items():
        for operation in operations.values():
            _operation(path, operation)
    for schema in schemas.values():
        _name_enum_members(schema)


def _operation(path: str, op: dict[str, Any]) -> None:
    responses: dict[str, Any] = op.setdefault("responses", {})
    limited = path.startswith("/api/") and not path.startswith("/api/v1/health")
    if path.startswith("/api/"):
        if _json_body(op):
            responses.setdefault("415", {})
        if path != "/api/v1/health":
            responses.setdefault("503", {})
    if limited:
        responses.setdefault("429", {})
    takes_key = any(p.get("name") == "Idempotency-Key" for p in op.get("parameters", []))
    for code, response in responses.items():
        status = int(code) if code.isdigit() else 0
        headers = response.setdefault("headers", {})
        headers.setdefault("X-Request-ID", REQUEST_ID)
        if limited:
            headers.update(RATE_HEADERS if status != 429 else {**RATE_HEADERS, "Retry-After": RETRY_AFTER})
        if status >= 400:
            response["description"] = TITLES.get(status) or EXTRA_TITLES.get(status, "Error")
            response["content"] = {PROBLEM: {"schema": {"$ref": REF}}}
        elif takes_key:
            for name, header in IDEMPOTENCY.items():
                headers.setdefault(name, header)


def _json_body(op: dict[str, Any]) -> bool:
    return "application/json" in op.get("requestBody", {}).get("content", {})


_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _name_enum_members(schema: dict[str, Any]) -> None:
    """`-created_at` becomes CREATED_AT_DESC rather than a generator's VALUE_1."""
    values = schema.get("enum")
    if not values or not all(isinstance(v, str) for v in values) or all(_IDENTIFIER.match(v) for v in values):
        return
    schema["x-enum-varnames"] = [_member_name(v) for v in values]


def _member_name(value: str) -> str:
    descending = value.startswith("-")
    name = re.sub(r"[^A-Za-z0-9]+", "_", value.lstrip("-+")).strip("_").upper() or "EMPTY"
    if name[0].isdigit():
        name = "V_" + name
    return name + ("_DESC" if descending else "")
