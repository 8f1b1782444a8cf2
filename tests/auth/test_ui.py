"""The web login: redirects, the login form's CSRF, cookies, logout, CSRF on forms, account page."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories.auth import WebClient
from vigil.auth import service as auth_service
from vigil.auth.roles import Role
from vigil.auth.schemas import UserCreate
from vigil.core.config import Settings
from vigil.core.db import Database
from vigil.incidents.models import Incident
from vigil.web.app import create_app

PASSWORD = "tangerine submarine 42"


@pytest.fixture
def browser(db: Database, session: Session) -> WebClient:
    auth_service.create_user(
        session=session,
        actor=auth_service.system_actor(),
        data=UserCreate(
            email="sam@example.com", display_name="Sam Agent", role=Role.AGENT, password=SecretStr(PASSWORD)
        ),
    )
    return WebClient(create_app(db), follow_redirects=False)


def _login(client: TestClient, email: str, password: str, next_: str = "/incidents") -> object:
    page = client.get(f"/login?next={next_}")
    token = re.search(r'name="login_csrf" value="([^"]+)"', page.text)
    assert token
    return client.post(
        "/login", data={"email": email, "password": password, "login_csrf": token.group(1), "next": next_}
    )


def test_pages_redirect_to_login(browser: WebClient) -> None:
    r = browser.get("/incidents?status=open")
    assert r.status_code == 303 and r.headers["location"] == "/login?next=%2Fincidents%3Fstatus%3Dopen"


def test_login_success_sets_a_safe_cookie(browser: WebClient) -> None:
    r = _login(browser, "sam@example.com", PASSWORD, "/incidents/new")
    assert r.status_code == 303 and r.headers["location"] == "/incidents/new"  # type: ignore[attr-defined]
    cookie = r.headers["set-cookie"]  # type: ignore[attr-defined]
    assert (
        "vigil_session=" in cookie
        and "HttpOnly" in cookie
        and "SameSite=lax" in cookie
        and "Secure" not in cookie
    )
    page = browser.get("/incidents")
    assert page.status_code == 200 and "Sam Agent" in page.text and "Log out" in page.text


def test_login_failures_and_open_redirects(browser: WebClient) -> None:
    for email, password in (("sam@example.com", "wrong wrong wrong"), ("ghost@example.com", PASSWORD)):
        r = _login(browser, email, password)
        assert r.status_code == 401 and "Invalid email or password" in r.text  # type: ignore[attr-defined]
    r = browser.post(
        "/login", data={"email": "sam@example.com", "password": PASSWORD, "login_csrf": "forged"}
    )
    assert r.status_code == 403 and "vigil_session" not in r.headers.get("set-cookie", "")
    r = _login(browser, "sam@example.com", PASSWORD, "https://evil.example/")
    assert r.headers["location"] == "/incidents"  # type: ignore[attr-defined]


def test_secure_cookie_behind_https(db: Database, browser: WebClient) -> None:
    app = create_app(db, Settings(cookie_secure="always"))
    with TestClient(app, follow_redirects=False) as c:
        assert "Secure" in _login(c, "sam@example.com", PASSWORD).headers["set-cookie"]  # type: ignore[attr-defined]


def test_csrf_refusal_and_logout(browser: WebClient, session: Session) -> None:
    _login(browser, "sam@example.com", PASSWORD)
    page = browser.get("/incidents/new").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert csrf
    before = session.scalar(select(func.count()).select_from(Incident))
    r = browser.post("/incidents/new", data={"title": "forged", "csrf_token": "wrong"})
    assert r.status_code == 403 and "CSRF" in r.text
    r = browser.post("/incidents/new", data={"title": "no token at all", "csrf_token": ""})
    assert r.status_code == 403
    assert session.scalar(select(func.count()).select_from(Incident)) == before
    r = browser.post("/incidents/new", data={"title": "genuine", "csrf_token": csrf.group(1)})
    assert r.status_code == 303
    r = browser.post("/logout", data={"csrf_token": csrf.group(1)})
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert browser.get("/incidents").status_code == 303, "the session is gone"


def test_account_page_tokens_and_password_change(browser: WebClient) -> None:
    _login(browser, "sam@example.com", PASSWORD)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', browser.get("/account").text)
    assert csrf
    r = browser.post(
        "/account/tokens", data={"name": "laptop", "scope": "write", "csrf_token": csrf.group(1)}
    )
    secret = re.search(r'<code class="secret" id="new-token">(vgl_[^<]+)</code>', r.text)
    assert r.status_code == 201 and secret
    assert secret.group(1) not in browser.get("/account").text, "shown once"
    with TestClient(browser.app) as api:
        assert (
            api.get("/api/v1/me", headers={"Authorization": f"Bearer {secret.group(1)}"}).json()["email"]
            == "sam@example.com"
        )
    r = browser.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": "x",
            "confirm_password": "y",
            "csrf_token": csrf.group(1),
        },
    )
    assert r.status_code == 422 and "differ" in r.text
    r = browser.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": "a fresh passphrase",
            "confirm_password": "a fresh passphrase",
            "csrf_token": csrf.group(1),
        },
    )
    assert r.status_code == 303 and r.headers["location"] == "/login?changed=1"
    assert browser.get("/incidents").status_code == 303, "changing the password ended the session"
    assert _login(browser, "sam@example.com", "a fresh passphrase").status_code == 303  # type: ignore[attr-defined]
