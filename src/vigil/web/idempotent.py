"""Run a POST at most once per Idempotency-Key: a retry replays the stored first response."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vigil.core import idempotency
from vigil.core.actor import Actor
from vigil.core.db import Database
from vigil.web import versions


def run(
    db: Database,
    actor: Actor,
    *,
    key: str | None,
    scope: str,
    payload: Any,
    status_code: int,
    work: Callable[[Session], Any],
) -> JSONResponse:
    """Execute `work(session)` in one unit of work and answer with its JSON result."""
    if key is None:
        with db.unit_of_work() as session:
            result = work(session)
        # Serialised after commit: the transaction is not held open while the answer is built.
        body = jsonable_encoder(result)
        return versions.with_etag(JSONResponse(body, status_code=status_code), body)
    key = idempotency.validate_key(key)
    full_scope = f"{actor.user_id}:{scope}"
    fingerprint = idempotency.request_fingerprint(
        json.dumps(jsonable_encoder(payload), sort_keys=True).encode()
    )
    for _ in range(2):
        replay = _replay(db, full_scope, key, fingerprint)
        if replay is not None:
            return replay
        try:
            with db.unit_of_work() as session:
                body = jsonable_encoder(work(session))
                idempotency.store(
                    session,
                    scope=full_scope,
                    key=key,
                    request_hash=fingerprint,
                    status_code=status_code,
                    body=body,
                )
            answer = JSONResponse(body, status_code=status_code, headers={"Idempotency-Key": key})
            return versions.with_etag(answer, body)
        except IntegrityError:
            continue  # a concurrent request with the same key won; replay its response
    raise RuntimeError("idempotent request could not be settled")  # pragma: no cover


def _replay(db: Database, scope: str, key: str, fingerprint: str) -> JSONResponse | None:
    with db.unit_of_work() as session:
        found = idempotency.lookup(session, scope=scope, key=key, request_hash=fingerprint)
        if found is None:
            return None
        answer = JSONResponse(
            found.body,
            status_code=found.status_code,
            headers={"Idempotency-Key": key, "Idempotent-Replayed": "true"},
        )
        return versions.with_etag(answer, found.body)
