"""schemathesis over /openapi.json: generated requests never get a 5xx nor a response off the schema.

The operations are read from an app that is never called; each generated case is sent to an app on the
test's own database (SQLite, and PostgreSQL when configured), inside its rolled-back transaction.
"""

from __future__ import annotations

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance
from sqlalchemy.orm import Session

from tests.factories.auth import api_token
from vigil.core.actor import Actor
from vigil.core.db import Database
from vigil.web.app import create_app

schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(Database("sqlite://")))


@pytest.fixture
def app(db: Database) -> FastAPI:
    return create_app(db)


@pytest.fixture
def token(session: Session, admin: Actor) -> str:
    return api_token(session, admin.user_id, "admin")


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_contract(case: schemathesis.Case, app: FastAPI, token: str) -> None:
    case.call_and_validate(
        app=app,
        headers={"Authorization": f"Bearer {token}"},
        checks=[
            schemathesis.checks.not_a_server_error,
            response_schema_conformance,
            content_type_conformance,
        ],
    )
