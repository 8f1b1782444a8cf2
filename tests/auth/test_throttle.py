"""Login throttling: exponential backoff per account, address and known-good device; unsafe input."""

from __future__ import annotations

import logging

import pytest
from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.conftest import Clock
from vigil.auth import credentials
from vigil.auth import service as auth_service
from vigil.auth.models import LoginAttempt, User, UserSession
from vigil.auth.roles import Role
from vigil.auth.schemas import UserCreate
from vigil.auth.service.sessions import LOGIN_FAILED, LoginResult
from vigil.auth.settings import AuthSettings
from vigil.core.actor import Actor
from vigil.core.audit import AuditRecord

PASSWORD = "correct horse battery staple"
WRONG = "not the password at all"
SETTINGS = AuthSettings(login_max_failures=3, login_backoff_seconds=2, login_backoff_max_seconds=30)
#: 250 characters: 64 + "@" + 61 + "." + 61 + "." + 57 + ".com"
LONG_EMAIL = f"{'l' * 64}@{'d' * 61}.{'e' * 61}.{'f' * 57}.com"


def _user(session: Session, admin: Actor, email: str = "pat@example.com") -> User:
    return auth_service.create_user(
        session=session,
        actor=admin,
        data=UserCreate(email=email, display_name="Pat", role=Role.AGENT, password=SecretStr(PASSWORD)),
    )


def _login(
    session: Session,
    email: str,
    password: str,
    *,
    ip: str = "10.0.0.1",
    device: str | None = None,
    settings: AuthSettings = SETTINGS,
) -> LoginResult:
    return auth_service.sessions.login(
        session=session,
        email=email,
        password=password,
        ip=ip,
        user_agent="pytest",
        settings=settings,
        device=device,
    )


def _failed_audits(session: Session) -> list[dict[str, list[object]]]:
    stmt = (
        select(AuditRecord.changes).where(AuditRecord.action == "auth.login_failed").order_by(AuditRecord.id)
    )
    return list(session.scalars(stmt))


def _attempts(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(LoginAttempt)) or 0


def test_backoff_doubles_per_checked_failure_and_is_capped(
    session: Session, admin: Actor, frozen_clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    _user(session, admin)
    for _ in range(3):
        assert _login(session, "pat@example.com", WRONG).error == LOGIN_FAILED
    caplog.set_level(logging.WARNING, logger="vigil.auth")
    refused = _login(session, "pat@example.com", PASSWORD)
    assert refused.throttled and refused.retry_after == 2 and refused.token is None
    frozen_clock.advance(seconds=1)
    again = _login(session, "pat@example.com", PASSWORD)
    assert again.retry_after == 1, "a refused attempt is not checked and does not extend the wait"
    assert _attempts(session) == 3, "refused attempts are not counted"
    waits = []
    for _ in range(5):  # each checked failure doubles the wait: 4, 8, 16, then the 30 s cap
        frozen_clock.advance(seconds=(waits or [1])[-1])
        assert _login(session, "pat@example.com", WRONG).error == LOGIN_FAILED
        waits.append(_login(session, "pat@example.com", WRONG).retry_after or 0)
    assert waits == [4, 8, 16, 30, 30]
    frozen_clock.advance(seconds=30)
    assert _login(session, "pat@example.com", PASSWORD).token is not None
    audits = _failed_audits(session)
    assert audits[3] == {"ip": [None, "10.0.0.1"], "throttled": [None, True], "wait": [None, 2]}
    assert audits[0]["throttled"] == [None, False] and audits[0]["wait"] == [None, 0]
    logged = [r for r in caplog.records if r.name == "vigil.auth"]
    assert logged and all(r.levelno == logging.WARNING for r in logged)
    assert "account" in logged[0].getMessage() and "3 failures" in logged[0].getMessage()
    assert "wait 2 s" in logged[0].getMessage()
    assert not any(PASSWORD in r.getMessage() or WRONG in r.getMessage() for r in caplog.records)


def test_an_address_is_held_back_at_four_times_the_limit(
    session: Session, admin: Actor, frozen_clock: Clock
) -> None:
    _user(session, admin)
    for i in range(11):  # one address trying many accounts
        _login(session, f"guess{i}@example.com", WRONG, ip="10.9.9.9")
    assert _login(session, "pat@example.com", WRONG, ip="10.9.9.9").error == LOGIN_FAILED, "11 < 12"
    refused = _login(session, "pat@example.com", PASSWORD, ip="10.9.9.9")
    assert refused.throttled and refused.retry_after == 2
    assert _login(session, "pat@example.com", PASSWORD, ip="10.0.0.2").token is not None, "other addresses"
    frozen_clock.advance(minutes=16)
    assert _login(session, "pat@example.com", PASSWORD, ip="10.9.9.9").token is not None, "window passed"


def test_a_known_good_device_is_not_locked_out_by_others(
    session: Session, admin: Actor, frozen_clock: Clock
) -> None:
    _user(session, admin)
    _user(session, admin, "sam@example.com")
    device = _login(session, "pat@example.com", PASSWORD).device_token
    assert device
    for i in range(20):  # an attacker from many addresses, and from the user's own address
        _login(session, "pat@example.com", WRONG, ip=f"10.6.6.{i % 3}")
        _login(session, f"x{i}@example.com", WRONG, ip="10.0.0.1")
    assert _login(session, "pat@example.com", PASSWORD, ip="10.6.6.1").throttled
    ok = _login(session, "pat@example.com", PASSWORD, ip="10.0.0.1", device=device)
    assert ok.token is not None and ok.device_token and ok.device_token != device, "rotated on each login"
    device = ok.device_token
    assert _login(session, "sam@example.com", PASSWORD, device=device).throttled, "trusted per account only"
    assert _login(session, "pat@example.com", PASSWORD, device="forged").throttled
    for _ in range(3):  # the device's own failures do hold it back
        assert _login(session, "pat@example.com", WRONG, device=device).error == LOGIN_FAILED
    mine = _login(session, "pat@example.com", PASSWORD, device=device)
    assert mine.throttled and mine.retry_after == 2
    frozen_clock.advance(seconds=2)
    assert _login(session, "pat@example.com", PASSWORD, device=device).token is not None


def test_device_trust_lasts_thirty_days(session: Session, admin: Actor, frozen_clock: Clock) -> None:
    _user(session, admin)
    device = _login(session, "pat@example.com", PASSWORD).device_token
    frozen_clock.advance(days=30, seconds=1)
    for _ in range(3):
        _login(session, "pat@example.com", WRONG, ip="10.6.6.6")
    assert _login(session, "pat@example.com", PASSWORD, device=device).throttled


def test_thirty_failures_for_a_250_character_email(
    session: Session, admin: Actor, frozen_clock: Clock
) -> None:
    assert len(LONG_EMAIL) == 250
    _user(session, admin, LONG_EMAIL)
    settings = AuthSettings()  # the defaults: 5 failures, 2 s doubled
    results = [_login(session, LONG_EMAIL, WRONG, settings=settings) for _ in range(30)]
    assert [r.throttled for r in results] == [False] * 5 + [True] * 25
    refused = _login(session, LONG_EMAIL.upper(), PASSWORD, settings=settings)
    assert refused.throttled and refused.token is None, "the right password is refused while throttled"
    audited = session.scalars(
        select(AuditRecord.object_id).where(AuditRecord.action == "auth.login_failed")
    ).all()
    assert audited == [LONG_EMAIL] * 31
    stored = session.scalars(select(LoginAttempt.email)).all()
    assert stored == [LONG_EMAIL] * 5
    frozen_clock.advance(seconds=2)
    assert _login(session, LONG_EMAIL, PASSWORD, settings=settings).token is not None


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("pat@example.com\x00", PASSWORD),
        ("pat\x00@example.com", PASSWORD),
        ("pat@example.com", PASSWORD + "\x00"),
        ("pat@example.com", "\x01" + PASSWORD),
        ("pat@example.com", "\ud800" + PASSWORD),
        ("p" * 300 + "@example.com", PASSWORD),
        ("pat@example.com", PASSWORD * 100),
    ],
)
def test_unsafe_input_is_a_failed_login_and_stored_safely(
    session: Session, admin: Actor, email: str, password: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _user(session, admin)
    calls: list[str] = []
    real = credentials.check_password
    monkeypatch.setattr(credentials, "check_password", lambda p, s: calls.append("x") or real(p, s))
    result = _login(session, email, password, ip="10.0.0.1\x00")
    assert result.error == LOGIN_FAILED and not result.throttled and result.token is None
    assert len(calls) == 1, "costs one argon2 check, like any failure"
    stored = session.scalars(select(LoginAttempt)).one()
    assert "\x00" not in stored.email and len(stored.email) <= 254
    assert stored.ip.startswith("sha256:") and len(stored.ip) == 64
    if "\x00" in email or len(email) > 254:
        assert stored.email.startswith("sha256:")
    record = session.scalars(select(AuditRecord).where(AuditRecord.action == "auth.login_failed")).one()
    assert "\x00" not in record.object_id and "\x00" not in str(record.changes)


def test_a_password_cannot_hold_control_characters() -> None:
    with pytest.raises(Exception, match="control characters"):
        credentials.hash_password("a fine passphrase\x00")


def test_a_new_login_ends_the_browsers_previous_session(session: Session, admin: Actor) -> None:
    other = _user(session, admin, "sam@example.com")
    _user(session, admin)
    previous = _login(session, "sam@example.com", PASSWORD).token
    assert previous and auth_service.sessions.authenticate(session, previous) is not None
    result = auth_service.sessions.login(
        session=session,
        email="pat@example.com",
        password=PASSWORD,
        ip="10.0.0.1",
        user_agent="pytest",
        settings=SETTINGS,
        replaces_session=previous,
    )
    assert result.token is not None
    assert auth_service.sessions.authenticate(session, previous) is None, "whoever it belonged to"
    assert session.scalars(select(UserSession).where(UserSession.user_id == other.id)).all() == []
