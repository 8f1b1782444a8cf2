"""Run a POST at most once per Idempotency-Key: a retry replays the stored first response."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Header
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vigil.core import idempotency
from vigil.core.actor import Actor
from vigil.core.db import Database
from vigil.web import versions

#: The `Idempotency-Key` request header of a POST that creates or acts.
IdemKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="Any unique string: a retry with the same key and body replays the first answer.",
    ),
]

#: OpenAPI: the Location header of a 201 (merge into a create route's `responses`).
LOCATION = {"Location": {"description": "The URL of the created object.", "schema": {"type": "string"}}}


def run(
    db: Database,
    actor: Actor,
    *,
    key: str | None,
    scope: str,
    payload: Any,
    status_code: int,
    work: Callable[[Session], Any],
    location: Callable[[Any], str] | None = None,
) -> JSONResponse:
    """Execute `work(session)` in one unit of work and answer with its JSON result; `location(body)` is
    the created object's URL for the `Location` header of a 201."""
    if key is None:
        with db.unit_of_work() as session:
            result = work(session)
        # Serialised after commit: the transaction is not held open while the answer is built.
        body = _encoded(result)
        return _finish(JSONResponse(body, status_code=status_code), body, location)
    key = idempotency.validate_key(key)
    full_scope = f"{actor.user_id}:{scope}"
    fingerprint = idempotency.request_fingerprint(
        json.dumps(jsonable_encoder(payload), sort_keys=True).encode()
    )
    for _ in range(2):
        replay = _replay(db, full_scope, key, fingerprint, location)
        if replay is not None:
            return replay
        try:
            with db.unit_of_work() as session:
                body = _encoded(work(session))
                idempotency.store(
                    session,
                    scope=full_scope,
                    key=key,
                    request_hash=fingerprint,
                    status_code=status_code,
                    body=body,
                )
            answer = JSONResponse(body, status_code=status_code, headers={"Idempotency-Key": key})
            return _finish(answer, body, location)
        except IntegrityError:
            continue  # a concurrent request with the same key won; replay its response
    raise RuntimeError("idempotent request could not be settled")  # pragma: no cover


def _encoded(result: Any) -> Any:
    """The answer as JSON-ready data: a schema through pydantic's own (compiled) encoder."""
    if isinstance(result, BaseModel):
        return result.model_dump(mode="json")
    return jsonable_encoder(result)


def _replay(
    db: Database, scope: str, key: str, fingerprint: str, location: Callable[[Any], str] | None
) -> JSONResponse | None:
    with db.unit_of_work() as session:
        found = idempotency.lookup(session, scope=scope, key=key, request_hash=fingerprint)
        if found is None:
            return None
        answer = JSONResponse(
            found.body,
            status_code=found.status_code,
            headers={"Idempotency-Key": key, "Idempotent-Replayed": "true"},
        )
        return _finish(answer, found.body, location)


def _finish(answer: JSONResponse, body: Any, location: Callable[[Any], str] | None) -> JSONResponse:
    if location is not None and answer.status_code == 201:
        answer.headers["Location"] = location(body)
    return versions.with_etag(answer, body)
