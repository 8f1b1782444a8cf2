"""The web login: redirects, the login form's CSRF, cookies, logout, CSRF on forms, account page."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.conftest import Clock
from tests.factories.auth import WebClient, api_token
from vigil.app import create_app
from vigil.auth import service as auth_service
from vigil.auth.models import LoginAttempt
from vigil.auth.roles import Role
from vigil.auth.schemas import UserCreate
from vigil.auth.settings import AuthSettings
from vigil.core.db import Database
from vigil.incidents.models import Incident

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
    app = create_app(db, auth_settings=AuthSettings(cookie_secure="always"))
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


def test_login_sets_a_device_cookie_for_the_login_form_only(db: Database, browser: WebClient) -> None:
    r = _login(browser, "sam@example.com", PASSWORD)
    cookies = [c for c in r.headers.get_list("set-cookie") if c.startswith("vigil_device=")]  # type: ignore[attr-defined]
    assert len(cookies) == 1
    assert "HttpOnly" in cookies[0] and "SameSite=lax" in cookies[0] and "Path=/login" in cookies[0]
    assert "Max-Age=2592000" in cookies[0] and "Secure" not in cookies[0]
    with TestClient(
        create_app(db, auth_settings=AuthSettings(cookie_secure="always")),
        base_url="https://testserver",
        follow_redirects=False,
    ) as c:
        r = _login(c, "sam@example.com", PASSWORD)
        device = [x for x in r.headers.get_list("set-cookie") if x.startswith("vigil_device=")]  # type: ignore[attr-defined]
        assert "Secure" in device[0]


def test_throttled_logins_get_429_with_retry_after(
    db: Database, session: Session, frozen_clock: Clock
) -> None:
    auth_service.create_user(
        session=session,
        actor=auth_service.system_actor(),
        data=UserCreate(email="lee@example.com", display_name="Lee", password=SecretStr(PASSWORD)),
    )
    app = create_app(db, auth_settings=AuthSettings(login_max_failures=2))
    with WebClient(app, follow_redirects=False) as c:
        for _ in range(2):
            assert _login(c, "lee@example.com", "wrong wrong wrong").status_code == 401  # type: ignore[attr-defined]
        r = _login(c, "lee@example.com", PASSWORD)
        assert r.status_code == 429 and r.headers["retry-after"] == "2"  # type: ignore[attr-defined]
        assert "Too many failed logins" in r.text  # type: ignore[attr-defined]
        frozen_clock.advance(seconds=2)
        assert _login(c, "lee@example.com", PASSWORD).status_code == 303  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("email", "password"),
    [("sam@example.com\x00", PASSWORD), ("sam@example.com", PASSWORD + "\x00"), ("a\x07" * 300, "x\x1b")],
)
def test_control_characters_in_the_form_are_a_failed_login(
    browser: WebClient, session: Session, email: str, password: str
) -> None:
    """Refused by the edge (422) or by the login itself (401); never a 500, never stored."""
    r = _login(browser, email, password)
    assert r.status_code in (401, 422), r.text  # type: ignore[attr-defined]
    if r.status_code == 401:  # type: ignore[attr-defined]
        assert "Invalid email or password" in r.text  # type: ignore[attr-defined]
    stored = session.scalars(select(LoginAttempt.email)).all()
    assert not any("\x00" in e or len(e) > 254 for e in stored)


def test_a_new_login_ends_the_previous_session_of_the_browser(browser: WebClient, session: Session) -> None:
    _login(browser, "sam@example.com", PASSWORD)
    first = browser.cookies.get("vigil_session")
    assert first and auth_service.sessions.authenticate(session, first) is not None
    assert _login(browser, "sam@example.com", PASSWORD).status_code == 303  # type: ignore[attr-defined]
    assert browser.cookies.get("vigil_session") != first
    assert auth_service.sessions.authenticate(session, first) is None, "the old session row is gone"
    assert browser.get("/incidents").status_code == 200


def test_password_form_can_revoke_my_tokens(browser: WebClient, session: Session) -> None:
    _login(browser, "sam@example.com", PASSWORD)
    page = browser.get("/account").text
    assert 'name="revoke_tokens"' in page and "Also revoke my API tokens" in page
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert csrf
    sam = auth_service.resolve_user(session, "sam@example.com")
    raw = api_token(session, sam.id)
    form = {"current_password": PASSWORD, "csrf_token": csrf.group(1), "revoke_tokens": "1"}
    form |= {"new_password": "a fresh passphrase", "confirm_password": "a fresh passphrase"}
    assert browser.post("/account/password", data=form).status_code == 303
    assert auth_service.tokens.authenticate(session, raw) is None
