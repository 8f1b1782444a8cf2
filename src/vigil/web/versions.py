"""Optimistic concurrency at the HTTP edge: a versioned record's `ETag`, and `If-Match` on its writes.

A record's ETag is its `version` as a strong entity tag (`"7"`). A client sends it back in `If-Match` on
PATCH and on every action; a stale one is a 412 problem (`urn:vigil:problem:stale-version`) carrying the
current version. `If-Match: *` asks for no check; a weak tag (`W/"7"`) never matches (RFC 9110 13.1.1:
If-Match compares strongly).
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import Header, Response
from fastapi.responses import JSONResponse

from vigil.core.errors import Invalid

T = TypeVar("T")

IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=200,
        description='The ETag of the copy the change was made from (`"7"`); a stale one is a 412.',
    ),
]


def etag(version: int) -> str:
    return f'"{version}"'


def expected_version(if_match: str | None, body_version: int | None = None) -> int | frozenset[int] | None:
    """The version(s) the caller says it read: from `If-Match` (any of its tags) or the body's `version`."""
    if if_match is None or if_match.strip() == "*":
        return body_version
    tags = [t.strip() for t in if_match.split(",") if t.strip()]
    strong = {int(t[1:-1]) for t in tags if t.startswith('"') and t.endswith('"') and t[1:-1].isdigit()}
    if not strong and not any(t.startswith("W/") for t in tags):
        raise Invalid(f'If-Match must be an entity tag such as "7", not {if_match!r}', field="If-Match")
    if body_version is not None and body_version not in strong:
        raise Invalid("If-Match and the body's version disagree; send one of them", field="version")
    if len(strong) == 1:
        return next(iter(strong))
    return frozenset(strong)  # several: any may match; none (only weak tags): nothing matches


def with_etag(response: JSONResponse, body: Any) -> JSONResponse:
    """Add the ETag of a versioned record's representation (a dict with a `version`)."""
    if isinstance(body, dict) and isinstance(body.get("version"), int):
        response.headers["ETag"] = etag(body["version"])
    return response


#: OpenAPI: the ETag header of a versioned record's response (merge into a route's `responses`).
ETAG_HEADER = {
    "ETag": {
        "description": 'The record\'s version as an entity tag (`"7"`): send it in If-Match.',
        "schema": {"type": "string"},
    }
}


def tag(response: Response, read: T) -> T:
    """Set the ETag of a versioned record's answer (`read.version`) and hand the answer back."""
    response.headers["ETag"] = etag(read.version)  # type: ignore[attr-defined]
    return read


#: OpenAPI: a versioned record's GET (its ETag) and its PATCH or action (the ETag, and 412 on a stale one).
TAGGED: dict[int | str, dict[str, Any]] = {200: {"headers": ETAG_HEADER}}
VERSIONED: dict[int | str, dict[str, Any]] = {
    200: {"headers": ETAG_HEADER},
    412: {"description": "Precondition failed"},
}
