"""Identity services: passwords, rate-limited logins, sessions, tokens, roles, deactivation."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel, SecretStr, ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.conftest import Clock
from tests.factories.auth import actor, make_user
from vigil.auth import credentials
from vigil.auth import service as auth_service
from vigil.auth.models import ApiToken, LoginAttempt, User, UserSession
from vigil.auth.roles import Role
from vigil.auth.schemas import PasswordChange, TokenCreate, UserCreate, UserUpdate
from vigil.auth.settings import AuthSettings
from vigil.core.actor import Actor, Channel
from vigil.core.audit import AuditRecord
from vigil.core.db import Database
from vigil.core.errors import Conflict, Forbidden, Invalid, NotFound

PASSWORD = "correct horse battery staple"
SETTINGS = AuthSettings(login_max_failures=3)


def _user_with_password(
    session: Session, admin: Actor, role: Role = Role.AGENT, email: str = "pat@example.com"
) -> User:
    return auth_service.create_user(
        session=session,
        actor=admin,
        data=UserCreate(email=email, display_name="Pat", role=role, password=SecretStr(PASSWORD)),
    )


def _login(
    session: Session, email: str, password: str, ip: str = "10.0.0.1"
) -> auth_service.sessions.LoginResult:
    return auth_service.sessions.login(
        session=session, email=email, password=password, ip=ip, user_agent="pytest", settings=SETTINGS
    )


class _CountingHasher:
    """Wraps the real argon2 hasher and records each verification."""

    def __init__(self, inner: object, calls: list[str]) -> None:
        self.inner, self.calls = inner, calls

    def verify(self, stored: str, password: str) -> bool:
        self.calls.append(stored)
        return bool(self.inner.verify(stored, password))  # type: ignore[attr-defined]

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)


def _actions(session: Session, prefix: str) -> list[str]:
    return list(session.scalars(select(AuditRecord.action).where(AuditRecord.action.startswith(prefix))))


def test_passwords_are_argon2_and_validated() -> None:
    stored = credentials.hash_password(PASSWORD)
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert credentials.check_password(PASSWORD, stored)
    assert not credentials.check_password("wrong password!!", stored)
    assert not credentials.check_password(PASSWORD, None)
    with pytest.raises(Invalid, match="12 to 1024"):
        credentials.hash_password("short")
    with pytest.raises(Invalid, match="repetitive"):
        credentials.hash_password("aaaaaaaaaaaaaaaa")


def test_login_opens_a_session_and_is_audited(session: Session, admin: Actor) -> None:
    user = _user_with_password(session, admin)
    result = _login(session, "PAT@example.com ", PASSWORD)
    assert result.error is None and result.user is not None and result.token and result.csrf_token
    stored = session.scalars(select(UserSession).where(UserSession.user_id == user.id)).one()
    assert stored.token_hash == credentials.digest(result.token) and stored.token_hash != result.token
    found = auth_service.sessions.authenticate(session, result.token)
    assert found is not None and found[0].user_id == user.id
    assert _actions(session, "auth.") == ["auth.login"]


@pytest.mark.parametrize("case", ["wrong password", "unknown email", "inactive", "no password set"])
def test_failed_logins_look_the_same(
    session: Session, admin: Actor, case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = _user_with_password(session, admin)
    email, password = user.email, PASSWORD
    if case == "wrong password":
        password = "not the password"
    elif case == "unknown email":
        email = "nobody@example.com"
    elif case == "inactive":
        auth_service.update_user(session=session, actor=admin, ref=user.email, data=UserUpdate(active=False))
    else:
        make_user(session, admin, name="nopass")
        email = session.scalars(
            select(User.email).where(User.password_hash.is_(None), User.role != Role.ADMIN)
        ).first()
    verifications: list[str] = []
    monkeypatch.setattr(credentials, "_hasher", _CountingHasher(credentials._hasher, verifications))
    result = _login(session, email or "", password)
    assert (
        result.error == auth_service.sessions.LOGIN_FAILED and result.token is None and not result.throttled
    )
    assert len(verifications) == 1, "every failure costs exactly one argon2 verification"
    assert _actions(session, "auth.login_failed") == ["auth.login_failed"]


def test_repeated_failures_are_throttled_per_account_and_address(
    session: Session, admin: Actor, frozen_clock: Clock
) -> None:
    _user_with_password(session, admin)
    for _ in range(3):
        assert (
            _login(session, "pat@example.com", "nope nope nope").error == auth_service.sessions.LOGIN_FAILED
        )
    throttled = _login(session, "pat@example.com", PASSWORD)
    assert (
        throttled.throttled
        and throttled.token is None
        and "too many failed logins" in (throttled.error or "")
    )
    frozen_clock.advance(minutes=16)
    assert _login(session, "pat@example.com", PASSWORD).token is not None
    for i in range(12):  # one address trying many accounts
        _login(session, f"guess{i}@example.com", "whatever whatever", ip="10.9.9.9")
    assert _login(session, "pat@example.com", PASSWORD, ip="10.9.9.9").throttled
    # Only checked attempts are stored: the two refused ones are in the audit log alone.
    assert session.scalar(select(func.count()).select_from(LoginAttempt)) == 3 + 1 + 12
    assert len(_actions(session, "auth.login_failed")) == 3 + 1 + 12 + 1


def test_sessions_expire_and_end_on_logout_disable_and_password_change(
    session: Session, admin: Actor, frozen_clock: Clock
) -> None:
    user = _user_with_password(session, admin)
    token = _login(session, user.email, PASSWORD).token or ""
    frozen_clock.advance(hours=11)
    assert auth_service.sessions.authenticate(session, token) is not None
    frozen_clock.advance(hours=2)
    assert auth_service.sessions.authenticate(session, token) is None, "expired after 12 h"
    me = actor(session, user)
    token = _login(session, user.email, PASSWORD).token or ""
    auth_service.sessions.logout(session=session, actor=me, raw=token)
    assert auth_service.sessions.authenticate(session, token) is None
    token = _login(session, user.email, PASSWORD).token or ""
    with pytest.raises(Invalid, match="current password is wrong"):
        auth_service.set_password(
            session=session, actor=me, ref=user.email, new_password="n" * 6 + "ew pass", current_password="x"
        )
    auth_service.set_password(
        session=session,
        actor=me,
        ref=user.email,
        new_password="a brand new passphrase",
        current_password=PASSWORD,
    )
    assert auth_service.sessions.authenticate(session, token) is None, "password change ends sessions"
    token = _login(session, user.email, "a brand new passphrase").token or ""
    auth_service.update_user(session=session, actor=admin, ref=user.email, data=UserUpdate(active=False))
    assert auth_service.sessions.authenticate(session, token) is None, "disabling ends sessions"
    assert "user.password_change" in _actions(session, "user.")


def test_tokens_are_shown_once_scoped_revocable_and_expire(
    db: Database, session: Session, admin: Actor, frozen_clock: Clock
) -> None:
    user = make_user(session, admin)
    me = actor(session, user)
    token, raw = auth_service.tokens.create(
        session=session, actor=me, data=TokenCreate(name="ci", scope="write", expires_in_days=30)
    )
    assert raw.startswith("vgl_") and token.token_hash == credentials.digest(raw) and token.prefix == raw[:12]
    assert token.scopes == ["read", "write"]
    assert session.scalar(select(func.count()).select_from(ApiToken).where(ApiToken.token_hash == raw)) == 0
    acting = auth_service.tokens.authenticate(session, raw)
    assert acting is not None and acting.user_id == user.id and acting.scopes == frozenset({"read", "write"})
    assert token.last_used_at is None  # recorded after the request commits, in a transaction of its own
    with db.unit_of_work(session):  # the request's commit, after which its deferred writes run
        session.flush()
    assert session.get(ApiToken, token.id).last_used_at == frozen_clock.now  # type: ignore[union-attr]
    assert auth_service.tokens.authenticate(session, raw + "x") is None
    assert auth_service.tokens.authenticate(session, "not-a-vigil-token") is None
    frozen_clock.advance(days=31)
    assert auth_service.tokens.authenticate(session, raw) is None, "expired"
    _, raw2 = auth_service.tokens.create(session=session, actor=me, data=TokenCreate(name="cli"))
    auth_service.tokens.revoke(
        session=session, actor=me, token_id=auth_service.tokens.list_for(session=session, actor=me)[0].id
    )
    assert auth_service.tokens.authenticate(session, raw2) is None, "revocation takes effect at once"
    assert [a for a in _actions(session, "token.")] == ["token.create", "token.create", "token.revoke"]


def test_token_rules(session: Session, admin: Actor) -> None:
    agent, other = make_user(session, admin), make_user(session, admin)
    me = actor(session, agent)
    with pytest.raises(Forbidden, match="admin scope"):
        auth_service.tokens.create(session=session, actor=me, data=TokenCreate(name="x", scope="admin"))
    with pytest.raises(Forbidden, match="other users"):
        auth_service.tokens.create(session=session, actor=me, data=TokenCreate(name="x", user=other.email))
    _, read_raw = auth_service.tokens.create(
        session=session, actor=me, data=TokenCreate(name="r", scope="read")
    )
    via_read = auth_service.tokens.authenticate(session, read_raw)
    assert via_read is not None
    with pytest.raises(Forbidden, match="more rights"):
        auth_service.tokens.create(session=session, actor=via_read, data=TokenCreate(name="w", scope="write"))
    theirs, _ = auth_service.tokens.create(
        session=session, actor=admin, data=TokenCreate(name="t", user=other.email)
    )
    with pytest.raises(NotFound):
        auth_service.tokens.revoke(session=session, actor=me, token_id=theirs.id)
    with pytest.raises(Forbidden):
        auth_service.tokens.list_for(session=session, actor=me, user=other.email)
    _, admin_write = auth_service.tokens.create(
        session=session, actor=admin, data=TokenCreate(name="w", scope="write")
    )
    as_admin = auth_service.tokens.authenticate(session, admin_write)
    assert as_admin is not None and as_admin.roles == frozenset({Role.MANAGER}), (
        "no admin scope: acts as a manager"
    )


def test_roles_and_deactivation_are_admin_only_and_audited(session: Session, admin: Actor) -> None:
    user = make_user(session, admin, Role.REQUESTER)
    auth_service.update_user(session=session, actor=admin, ref=user.email, data=UserUpdate(role=Role.AGENT))
    change = session.scalars(select(AuditRecord).where(AuditRecord.action == "user.role_change")).one()
    assert change.changes == {"role": ["requester", "agent"]}
    with pytest.raises(Forbidden):
        auth_service.update_user(
            session=session, actor=actor(session, user), ref=user.email, data=UserUpdate(role=Role.ADMIN)
        )
    with pytest.raises(Conflict, match="own role"):
        auth_service.update_user(
            session=session, actor=admin, ref="admin@vigil.example", data=UserUpdate(role=Role.AGENT)
        )
    with pytest.raises(Conflict, match="deactivate yourself"):
        auth_service.update_user(
            session=session, actor=admin, ref="admin@vigil.example", data=UserUpdate(active=False)
        )


def test_first_admin_and_operator(session: Session) -> None:
    assert auth_service.operator_actor(session, Channel.CLI).user_id is None
    made = auth_service.ensure_first_admin(session, "boss@example.com", None)
    assert made is not None and made[1] and credentials.check_password(made[1], made[0].password_hash)
    assert auth_service.ensure_first_admin(session, "other@example.com", None) is None
    assert auth_service.operator_actor(session, Channel.CLI).user_id == made[0].id
    with pytest.raises(Invalid):
        auth_service.operator_actor(session, Channel.CLI, "ghost@example.com")


def _live_tokens(session: Session, user: User) -> int:
    stmt = select(func.count()).select_from(ApiToken).where(ApiToken.user_id == user.id)
    return session.scalar(stmt.where(ApiToken.revoked_at.is_(None))) or 0


def test_an_admin_reset_and_deactivation_revoke_every_token(session: Session, admin: Actor) -> None:
    user = _user_with_password(session, admin)
    me = actor(session, user)
    for name in ("ci", "laptop"):
        auth_service.tokens.create(session=session, actor=me, data=TokenCreate(name=name))
    auth_service.set_password(session=session, actor=admin, ref=user.email, new_password="reset by the admin")
    assert _live_tokens(session, user) == 0
    record = session.scalars(select(AuditRecord).where(AuditRecord.action == "token.revoke_all")).one()
    assert record.object_id == str(user.id) and record.changes["reason"] == [None, "password_reset"]
    assert len(record.changes["tokens"][1]) == 2
    _, raw = auth_service.tokens.create(
        session=session, actor=actor(session, user), data=TokenCreate(name="x")
    )
    auth_service.update_user(session=session, actor=admin, ref=user.email, data=UserUpdate(active=False))
    auth_service.update_user(session=session, actor=admin, ref=user.email, data=UserUpdate(active=True))
    assert auth_service.tokens.authenticate(session, raw) is None, "re-enabling brings no token back"
    assert _live_tokens(session, user) == 0
    reasons = session.scalars(
        select(AuditRecord.changes).where(AuditRecord.action == "token.revoke_all").order_by(AuditRecord.id)
    ).all()
    assert [r["reason"][1] for r in reasons] == ["password_reset", "deactivated"]


def test_changing_your_own_password_revokes_tokens_only_when_asked(session: Session, admin: Actor) -> None:
    user = _user_with_password(session, admin)
    me = actor(session, user)
    _, raw = auth_service.tokens.create(session=session, actor=me, data=TokenCreate(name="ci"))
    auth_service.set_password(
        session=session, actor=me, ref=user.email, new_password="second passphrase", current_password=PASSWORD
    )
    assert auth_service.tokens.authenticate(session, raw) is not None, "kept by default"
    auth_service.set_password(
        session=session,
        actor=me,
        ref=str(user.id),
        new_password="third passphrase!",
        current_password="second passphrase",
        revoke_tokens=True,
    )
    assert auth_service.tokens.authenticate(session, raw) is None
    assert _actions(session, "token.revoke_all") == ["token.revoke_all"]


def test_a_non_admin_cannot_tell_who_exists(session: Session, admin: Actor) -> None:
    requester = make_user(session, admin, Role.REQUESTER)
    existing, disabled = make_user(session, admin), make_user(session, admin)
    auth_service.update_user(session=session, actor=admin, ref=disabled.email, data=UserUpdate(active=False))
    me = actor(session, requester)
    refs = [existing.email, "nobody@example.com", disabled.email, str(existing.id), str(disabled.id)]
    calls = {
        "token": lambda ref: auth_service.tokens.create(
            session=session, actor=me, data=TokenCreate(name="x", user=ref)
        ),
        "password": lambda ref: auth_service.set_password(
            session=session, actor=me, ref=ref, new_password="some new passphrase"
        ),
        "update": lambda ref: auth_service.update_user(
            session=session, actor=me, ref=ref, data=UserUpdate(display_name="x")
        ),
        "list tokens": lambda ref: auth_service.tokens.list_for(session=session, actor=me, user=ref),
    }
    for name, call in calls.items():
        messages = set()
        for ref in refs:
            with pytest.raises(Forbidden) as caught:
                call(ref)
            messages.add(caught.value.detail)
        assert len(messages) == 1, name
    token, _ = auth_service.tokens.create(
        session=session, actor=me, data=TokenCreate(name="mine", user=f" {requester.email.upper()} ")
    )
    assert token.user_id == requester.id, "naming yourself is fine"


@pytest.mark.parametrize(
    ("schema", "payload"),
    [
        (UserUpdate, {"active": 0}),
        (UserUpdate, {"active": "false"}),
        (TokenCreate, {"name": "x", "expires_in_days": "90"}),
        (TokenCreate, {"name": "x", "expires_in_days": 90.5}),
        (TokenCreate, {"name": "x", "expires_in_days": True}),
        (PasswordChange, {"new_password": "a long passphrase", "revoke_tokens": 1}),
    ],
)
def test_auth_schemas_are_strict(schema: type[BaseModel], payload: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        schema.model_validate(payload)
    with pytest.raises(ValidationError):
        schema.model_validate_json(json.dumps(payload))
