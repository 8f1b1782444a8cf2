"""The account and people forms: every error on its field in plain words, values kept, nothing stored,
and no guessing (`active=maybe`, `revoke_tokens=maybe`, days that are not a number are refused)."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.auth.test_ui import PASSWORD, _login, browser  # noqa: F401  (browser is a fixture)
from tests.factories.auth import WebClient, make_user
from tests.incidents.test_ui import field_errors, field_tag, summary
from vigil.auth.models import ApiToken, Team, User
from vigil.core.actor import Actor
from vigil.core.db import Database


def _sign_in(client: WebClient) -> None:
    _login(client, "sam@example.com", PASSWORD)
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/account").text)
    assert found
    client.csrf = found.group(1)


def _password(client: WebClient, current: str, new: str, again: str, **extra: str) -> object:
    form = {"current_password": current, "new_password": new, "confirm_password": again, **extra}
    return client.post("/account/password", data=form)


def test_password_form_errors_sit_on_their_fields(browser: WebClient, session: Session) -> None:  # noqa: F811
    _sign_in(browser)
    r = _password(browser, PASSWORD, "a fresh passphrase", "a fresh passphrasE")
    assert r.status_code == 422  # type: ignore[attr-defined]
    page = r.text  # type: ignore[attr-defined]
    assert field_errors(page) == {
        "confirm_password": "The two new passwords differ: type the same one twice."
    }
    assert summary(page) == ["The two new passwords differ: type the same one twice."]
    assert 'aria-invalid="true"' in field_tag(page, "confirm_password")
    r = _password(browser, "not my password", "a fresh passphrase", "a fresh passphrase")
    assert field_errors(r.text) == {"current_password": "The current password is wrong."}  # type: ignore[attr-defined]
    r = _password(browser, PASSWORD, "short", "short")
    errors = field_errors(r.text)  # type: ignore[attr-defined]
    assert list(errors) == ["new_password"] and "12" in errors["new_password"]
    r = _password(browser, PASSWORD, "a fresh passphrase", "a fresh passphrase", revoke_tokens="maybe")
    assert r.status_code == 422 and list(field_errors(r.text)) == ["revoke_tokens"]  # type: ignore[attr-defined]
    # None of these changed the password: the old one still logs in.
    assert (
        _login(WebClient(browser.app, follow_redirects=False), "sam@example.com", PASSWORD).status_code == 303
    )  # type: ignore[attr-defined]


def test_token_form_errors_sit_on_their_fields_and_keep_the_values(
    browser: WebClient,  # noqa: F811
    session: Session,
) -> None:
    _sign_in(browser)
    r = browser.post("/account/tokens", data={"name": " ", "scope": "write", "expires_in_days": "soon"})
    assert r.status_code == 422
    assert field_errors(r.text) == {
        "token-name": "Enter the name.",
        "token-days": "Expires after (days) must be a whole number.",
    }
    assert '<option value="write" selected>' in r.text and 'value="soon"' in r.text
    r = browser.post("/account/tokens", data={"name": "ci", "scope": "root", "expires_in_days": "0"})
    errors = field_errors(r.text)
    assert errors["token-scope"].startswith("Scope: choose read, write")
    assert errors["token-days"] == "Expires after (days) must be at least 1."
    assert session.scalar(select(func.count()).select_from(ApiToken)) == 0


def test_people_forms_refuse_bad_input_on_their_fields(
    web_client: WebClient, db: Database, session: Session, admin: Actor
) -> None:
    agent = make_user(session, admin)
    session.commit()
    r = web_client.post(f"/admin/people/users/{agent.id}", data={"active": "maybe"})
    assert r.status_code == 422
    assert summary(r.text) == ["Active must be yes or no; “maybe” is neither."]
    with db.unit_of_work() as s:
        assert s.get(User, agent.id).active is True  # type: ignore[union-attr]  # not guessed as "no"
    r = web_client.post(f"/admin/people/users/{agent.id}", data={"role": "overlord"})
    assert r.status_code == 422 and list(field_errors(r.text)) == [f"role-{agent.id}"]
    assert field_errors(r.text)[f"role-{agent.id}"].startswith("Role: choose requester, agent, ")

    r = web_client.post("/admin/people/users", data={"email": "not-an-email", "display_name": "Ann"})
    assert r.status_code == 422
    assert field_errors(r.text) == {
        "new-user-email": "Email must be an email address, such as name@example.com."
    }
    assert 'value="not-an-email"' in r.text and 'value="Ann"' in r.text  # what was typed is kept
    r = web_client.post("/admin/people/users", data={"email": agent.email})
    assert r.status_code == 409 and len(summary(r.text)) == 1 and agent.email in summary(r.text)[0]

    r = web_client.post("/admin/people/teams", data={"name": "Storage", "manager": "ghost@example.com"})
    assert r.status_code == 422
    assert field_errors(r.text) == {"new-team-manager": "Unknown or inactive user 'ghost@example.com'."}
    with db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(Team)) == 0
    r = web_client.post("/admin/people/teams", data={"name": "Storage"})
    assert r.status_code == 200 and "Team created." in r.text and not summary(r.text)
