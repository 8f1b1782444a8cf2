"""The HTTP edge: unexpected errors keep every header and leak nothing to the log; caching, Allow, Host;
X-Forwarded-For believed only from configured proxies."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.orm import Session

from tests.factories.auth import WebClient
from vigil.app import create_app
from vigil.auth.models import LoginAttempt
from vigil.core.config import Settings
from vigil.core.db import Database
from vigil.web.edge import client_address, parse_networks

SECURITY_HEADERS = ("content-security-policy", "x-frame-options", "x-content-type-options", "x-request-id")


@pytest.fixture
def failing_app(db: Database) -> FastAPI:
    app = create_app(db)

    @app.get("/api/v1/boom")
    def boom() -> None:
        # What a database error looks like: its text holds SQL and bound values (an email here).
        raise ProgrammingError(
            "SELECT * FROM user_account WHERE email = %(e)s", {"e": "alice@example.com"}, None
        )

    @app.get("/boom")
    def boom_page() -> None:
        raise RuntimeError("secret detail in a page handler")

    return app


def test_an_unexpected_error_is_answered_with_every_header_and_logged_by_type_only(
    failing_app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with TestClient(failing_app, raise_server_exceptions=False) as client:
        r = client.get("/api/v1/boom", headers={"X-Request-ID": "trace-me-1"})
    assert r.status_code == 500
    assert r.headers["content-type"] == "application/problem+json"
    assert all(h in r.headers for h in SECURITY_HEADERS), dict(r.headers)
    assert r.headers["x-request-id"] == "trace-me-1" and r.json()["request_id"] == "trace-me-1"
    assert r.headers["cache-control"] == "no-store"
    assert "alice" not in r.text and "SELECT" not in r.text
    logged = "\n".join(rec.getMessage() + str(rec.exc_info or "") for rec in caplog.records)
    assert "ProgrammingError" in logged and "trace-me-1" in logged
    assert "alice@example.com" not in logged and "SELECT" not in logged


def test_an_unexpected_error_on_a_page_is_an_html_page_with_headers(failing_app: FastAPI) -> None:
    with TestClient(failing_app, raise_server_exceptions=False) as client:
        r = client.get("/boom")
    assert r.status_code == 500 and r.headers["content-type"].startswith("text/html")
    assert all(h in r.headers for h in SECURITY_HEADERS)
    assert "secret detail" not in r.text


def test_the_server_keeps_the_connection_after_a_500(failing_app: FastAPI) -> None:
    """The error is a normal response, so a keep-alive client can go on using its connection."""
    with TestClient(failing_app, raise_server_exceptions=False) as client:
        assert client.get("/api/v1/boom").status_code == 500
        assert client.get("/api/v1/health").status_code == 200


def test_api_answers_and_pages_are_not_cached(api_client: TestClient, web_client: WebClient) -> None:
    assert api_client.get("/api/v1/me").headers["cache-control"] == "no-store"
    assert web_client.get("/account").headers["cache-control"] == "no-store"
    assert "no-store" not in web_client.get("/static/vigil.css").headers.get("cache-control", "")


def test_405_names_the_allowed_methods(api_client: TestClient) -> None:
    r = api_client.put("/api/v1/incidents")
    assert r.status_code == 405 and r.headers["content-type"] == "application/problem+json"
    assert set(r.headers["allow"].replace(" ", "").split(",")) == {"GET", "POST"}


def test_the_host_header_is_not_reflected_into_asset_urls(web_client: WebClient) -> None:
    r = web_client.get("/incidents", headers={"Host": "evil.example"})
    assert r.status_code == 200
    assert "evil.example" not in r.text
    assert 'href="/static/vigil.css"' in r.text


# Proxies ------------------------------------------------------------------------------------------------


def test_client_address_believes_only_trusted_proxies() -> None:
    trusted = parse_networks(["10.0.0.0/8", "192.0.2.1"])
    assert client_address("198.51.100.7", "1.2.3.4", trusted) == "198.51.100.7"  # not a proxy: ignored
    assert client_address("10.1.2.3", "203.0.113.9", trusted) == "203.0.113.9"
    # The left part is whatever the client sent: take the right-most address no trusted proxy added.
    assert client_address("10.1.2.3", "6.6.6.6, 203.0.113.9, 192.0.2.1", trusted) == "203.0.113.9"
    assert client_address("10.1.2.3", "not-an-ip", trusted) == "10.1.2.3"
    assert client_address("127.0.0.1", "1.2.3.4", []) == "127.0.0.1"  # nothing trusted by default


def test_trusted_proxies_setting_is_validated() -> None:
    assert Settings(trusted_proxies="10.0.0.5, 10.1.0.0/16").trusted_proxies == ["10.0.0.5", "10.1.0.0/16"]
    with pytest.raises(ValueError, match="does not appear to be an IPv4 or IPv6"):
        Settings(trusted_proxies="10.0.0.5,proxy.local")


@pytest.fixture
def attempts(session: Session) -> Iterator[list[str]]:
    session.execute(text("DELETE FROM login_attempt"))
    yield []


def _failed_login_address(db: Database, session: Session, settings: Settings, peer: str) -> str:
    app = create_app(db, settings)
    with TestClient(app, client=(peer, 4000)) as client:
        page = client.get("/login")
        csrf = page.text.split('name="login_csrf" value="')[1].split('"')[0]
        client.post(
            "/login",
            data={"email": "nobody@example.com", "password": "wrong-password-1", "login_csrf": csrf},
            headers={"X-Forwarded-For": "203.0.113.50"},
        )
    session.expire_all()
    rows = session.scalars(select(LoginAttempt).order_by(LoginAttempt.id.desc())).all()
    return rows[0].ip


def test_x_forwarded_for_from_loopback_is_ignored_by_default(
    db: Database, session: Session, attempts: list[str]
) -> None:
    assert _failed_login_address(db, session, Settings(), "127.0.0.1") == "127.0.0.1"


def test_x_forwarded_for_from_a_configured_proxy_is_believed(
    db: Database, session: Session, attempts: list[str]
) -> None:
    settings = Settings(trusted_proxies=["127.0.0.1"])
    assert _failed_login_address(db, session, settings, "127.0.0.1") == "203.0.113.50"
    assert _failed_login_address(db, session, settings, "198.51.100.2") == "198.51.100.2"
