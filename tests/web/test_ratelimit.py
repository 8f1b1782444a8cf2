"""API rate limits per token and per client address: a 429 problem with Retry-After and the IETF draft
RateLimit headers; health probes and pages are not limited; the settings parse or fail loudly."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy.orm import Session

from tests.factories.auth import api_token
from vigil.app import create_app
from vigil.core.actor import Actor
from vigil.core.config import Settings
from vigil.core.db import Database


def _app(db: Database, per_token: str, per_address: str) -> TestClient:
    settings = Settings(rate_limit_per_token=per_token, rate_limit_per_address=per_address)
    return TestClient(create_app(db, settings))


@pytest.fixture
def token(session: Session, admin: Actor) -> str:
    return api_token(session, admin.user_id)


def test_a_token_over_its_limit_gets_a_429_with_retry_after(
    db: Database, token: str, session: Session, admin: Actor
) -> None:
    with _app(db, "3/minute", "") as client:
        client.headers["Authorization"] = f"Bearer {token}"
        answers = [client.get("/api/v1/me") for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert answers[0].headers["RateLimit-Policy"] == '"token";q=3;w=60'
        assert answers[2].headers["RateLimit"].startswith('"token";r=0;')
        refused = answers[3]
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["type"] == "urn:vigil:problem:rate-limited"
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        # Another token of the same client has its own count.
        client.headers["Authorization"] = f"Bearer {api_token(session, admin.user_id)}"
        assert client.get("/api/v1/me").status_code == 200


def test_an_address_is_limited_with_or_without_tokens(db: Database, token: str) -> None:
    with _app(db, "", "2/minute") as client:
        assert client.get("/api/v1/incidents").status_code == 401
        assert (
            client.get("/api/v1/incidents", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        )
        third = client.get("/api/v1/incidents", headers={"Authorization": f"Bearer {token}"})
        assert third.status_code == 429 and '"address"' in third.headers["RateLimit-Policy"]
        assert client.get("/api/v1/health").status_code == 200  # probes are never limited
        assert client.get("/login").status_code == 200  # nor pages (the login form has its own throttle)


def test_limits_off_and_bad_settings(db: Database, token: str) -> None:
    with _app(db, "", "") as client:
        client.headers["Authorization"] = f"Bearer {token}"
        answer = client.get("/api/v1/me")
        assert answer.status_code == 200 and "RateLimit" not in answer.headers
    with pytest.raises(ValidationError, match="rate_limit_per_token"):
        Settings(rate_limit_per_token="lots")


@pytest.fixture
def openapi(api_client: TestClient) -> Iterator[dict]:  # type: ignore[type-arg]
    yield api_client.get("/openapi.json").json()


def test_the_429_is_declared(openapi: dict) -> None:  # type: ignore[type-arg]
    op = openapi["paths"]["/api/v1/incidents"]["post"]
    assert "Retry-After" in op["responses"]["429"]["headers"]
    assert "RateLimit" in op["responses"]["201"]["headers"]
    assert "429" not in openapi["paths"]["/api/v1/health"]["get"]["responses"]
