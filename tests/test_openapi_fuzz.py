"""schemathesis over /openapi.json, per role: generated requests, valid and invalid, never get a 5xx, a status
the operation does not declare, a response off the schema, or an invalid request accepted.

The operations are read from an app that is never called; each generated case is sent to an app on the
test's own database (SQLite, and PostgreSQL when configured), inside its rolled-back transaction.
`make fuzz` runs the same test with many more examples (VIGIL_FUZZ_EXAMPLES).
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.orm import Session

from tests.factories.auth import api_token, make_team, make_user
from tests.factories.incidents import make_incident
from vigil.app import create_app
from vigil.auth.roles import Role
from vigil.core.actor import Actor
from vigil.core.db import Database

EXAMPLES = int(os.environ.get("VIGIL_FUZZ_EXAMPLES", "8"))

schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(Database("sqlite://")))
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
    allow_x00=True,
    max_examples=EXAMPLES,
    # Each call sends the role's own token, replacing any Authorization header schemathesis would make;
    # a generated (or deliberately malformed) one would only make a valid request count as invalid.
    with_security_parameters=False,
)


@pytest.fixture
def app(db: Database) -> FastAPI:
    return create_app(db)


@pytest.fixture(params=[Role.ADMIN, Role.AGENT, Role.REQUESTER])
def token(request: pytest.FixtureRequest, session: Session, admin: Actor) -> str:
    """A token of a user of that role, with an incident of their own to act on."""
    role: Role = request.param
    if role is Role.ADMIN:
        user_id = admin.user_id
    else:
        user = make_user(session, admin, role)
        if role is Role.AGENT:
            make_team(session, admin, user)
        user_id = user.id
        make_incident(session, admin, title="Fuzzed incident", requester=user.email)
    return api_token(session, user_id, "admin" if role is Role.ADMIN else "write")


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_contract(case: schemathesis.Case, app: FastAPI, token: str) -> None:
    case.call_and_validate(
        app=app,
        headers={"Authorization": f"Bearer {token}"},
        checks=[
            not_a_server_error,
            status_code_conformance,
            response_schema_conformance,
            content_type_conformance,
            negative_data_rejection,
        ],
    )
