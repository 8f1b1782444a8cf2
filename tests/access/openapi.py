"""Every API operation, read from the OpenAPI schema, with a request that passes validation.

A new endpoint is covered by the access tests as soon as it is in the schema: nobody has to remember to add it.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from vigil.app import create_app
from vigil.core.db import Database

#: Reachable without credentials, on purpose.
PUBLIC = frozenset({("GET", "/api/v1/health"), ("GET", "/api/v1/health/ready")})

#: Values a generic one cannot supply: the password policy (12+ characters, 5+ distinct) is not in the schema.
OVERRIDES: dict[str, Any] = {
    "password": "Correct-Horse-Battery-7",
    "new_password": "Correct-Horse-Battery-7",
    "team": "Service Desk",  # the world fixtures create it
}


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    body_schema: dict[str, Any] | None
    #: Required query parameters and their schemas (none today; filled the same way as bodies).
    query_schemas: tuple[tuple[str, dict[str, Any]], ...] = ()
    #: Takes a multipart/form-data upload (a file) instead of JSON.
    multipart: bool = False

    def __str__(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def safe(self) -> bool:
        return self.method in ("GET", "HEAD", "OPTIONS")


@dataclass(frozen=True)
class Targets:
    """What the path parameters point at."""

    incident: str
    user: str
    category: str
    token_id: str
    team: str = "Service Desk"
    ci: str = "core-switch"  # the world fixtures create a CI of that name
    comment: str = ""  # a comment on `incident`, where a fixture made one
    link: str = ""  # a link of `incident`, where a fixture made one
    attachment: str = ""  # an attachment on `incident`, where a fixture made one
    relationship: str = ""  # a relationship of `ci`, where a fixture made one
    ci_class: str = "host"  # a built-in class (migration 0017)
    integration: str = "prod-am"  # the world fixtures create an Alertmanager integration of that name
    alert: str = ""  # a stored (P3) alert of it, where a fixture made one
    delivery: str = ""  # a delivery of it, where a fixture made one


def load_schema() -> dict[str, Any]:
    db = Database("sqlite://")
    try:
        schema: dict[str, Any] = create_app(db).openapi()
        return schema
    finally:
        db.dispose()


SCHEMA = load_schema()
COMPONENTS: dict[str, Any] = SCHEMA.get("components", {}).get("schemas", {})


def operations(schema: dict[str, Any] = SCHEMA) -> list[Operation]:
    ops = []
    for path, item in schema["paths"].items():
        for method, op in item.items():
            if method not in ("get", "put", "post", "patch", "delete", "head", "options"):
                continue
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            query = tuple(
                (p["name"], p.get("schema", {}))
                for p in op.get("parameters", [])
                if p["in"] == "query" and p.get("required")
            )
            multipart = "multipart/form-data" in op.get("requestBody", {}).get("content", {})
            ops.append(Operation(method.upper(), path, body, query, multipart))
    return ops


OPERATIONS = operations()
PROTECTED = [op for op in OPERATIONS if (op.method, op.path) not in PUBLIC]


def url(op: Operation, targets: Targets) -> str:
    """The path with its parameters filled; `{ref}` is a user under /users, a team under /teams, a CI under
    /cis, else the target incident."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "ref":
            if op.path.startswith("/api/v1/teams/"):
                return targets.team
            if op.path.startswith("/api/v1/cis/"):
                return targets.ci
            return targets.user if op.path.startswith("/api/v1/users/") else targets.incident
        known = {
            "name": targets.category,
            "token_id": targets.token_id,
            "comment_id": targets.comment,
            "link_id": targets.link,
            "attachment_id": targets.attachment,
            "relationship_id": targets.relationship,
            "key": targets.ci_class,
            "level": "1",  # the world fixtures configure L1
            "alert_id": targets.alert,
            "delivery_id": targets.delivery,
        }
        if name == "name" and op.path.startswith("/api/v1/integrations/"):
            return targets.integration
        if op.path.startswith("/api/v1/sla/"):  # the built-in calendar and policy (migration 0014)
            return "24x7" if op.path.startswith("/api/v1/sla/calendars/") else "Action plan"
        if name == "user":  # a watcher of the incident
            return targets.user
        return known.get(name) or str(uuid.uuid4())

    return re.sub(r"\{(\w+)\}", value, op.path)


def body(op: Operation) -> Any:
    """A JSON body for `op` that passes request validation, or None when it takes none."""
    return None if op.body_schema is None else example(op.body_schema)


def files(op: Operation) -> dict[str, Any] | None:
    """A small text file for an upload operation, or None."""
    return {"file": ("notes.txt", b"printer log: jam at tray 2\n", "text/plain")} if op.multipart else None


def query(op: Operation) -> dict[str, Any]:
    return {name: example(schema, name) for name, schema in op.query_schemas}


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = COMPONENTS[schema["$ref"].rsplit("/", 1)[1]]
    return schema


def example(schema: dict[str, Any], name: str = "") -> Any:
    schema = _resolve(schema)
    if name in OVERRIDES:
        return OVERRIDES[name]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            choices = [s for s in schema[key] if _resolve(s).get("type") != "null"]
            return example(choices[0], name)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type", "object")
    if kind == "object":
        props = schema.get("properties", {})
        return {p: example(props[p], p) for p in schema.get("required", [])}
    if kind == "string":
        return _string(schema)
    if kind == "boolean":
        return False
    if kind in ("integer", "number"):
        return schema.get("minimum", 1)
    if kind == "array":
        return [example(schema.get("items", {}), name) for _ in range(schema.get("minItems", 0))]
    raise AssertionError(f"no example for schema {schema}")


def _string(schema: dict[str, Any]) -> str:
    fmt = schema.get("format")
    if fmt == "email":
        return f"matrix-{uuid.uuid4().hex[:8]}@example.com"
    if fmt == "uuid":
        return str(uuid.uuid4())
    if fmt == "date-time":
        return "2026-11-02T09:00:00Z"
    value = f"access matrix {uuid.uuid4().hex[:6]}"
    value = value.ljust(schema.get("minLength", 0), "x")[: schema.get("maxLength", len(value))]
    pattern = schema.get("pattern")
    if pattern is not None and not re.search(pattern, value):
        value = f"matrix_{uuid.uuid4().hex[:6]}"  # a key such as a CI class: lower-case letters, digits, _
    assert pattern is None or re.search(pattern, value), f"{value!r} does not match {pattern!r}"
    return value
