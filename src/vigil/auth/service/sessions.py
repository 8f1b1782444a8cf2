"""Web logins: rate-limited password checks, server-side sessions with a CSRF secret, logout."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, selectinload

from vigil.auth import credentials
from vigil.auth.models import LoginAttempt, User, UserSession
from vigil.auth.service.users import actor_for, anonymous
from vigil.core import audit, clock
from vigil.core.actor import Actor, Channel
from vigil.core.config import Settings

#: Deliberately identical for an unknown email, a wrong password and an inactive account.
LOGIN_FAILED = "invalid email or password"


@dataclass(frozen=True)
class LoginResult:
    """The outcome of a login. A failure is returned, not raised, so the attempt is still committed."""

    user: User | None = None
    token: str | None = None
    csrf_token: str | None = None
    error: str | None = None
    throttled: bool = False


def _throttled(session: Session, email: str, ip: str, settings: Settings) -> bool:
    since = clock.now() - timedelta(minutes=settings.login_window_minutes)
    failures = (
        select(func.count())
        .select_from(LoginAttempt)
        .where(LoginAttempt.succeeded.is_(False), LoginAttempt.at >= since)
    )
    by_email = session.scalar(failures.where(LoginAttempt.email == email)) or 0
    by_ip = session.scalar(failures.where(LoginAttempt.ip == ip)) or 0
    return by_email >= settings.login_max_failures or by_ip >= 4 * settings.login_max_failures


def login(
    *,
    session: Session,
    email: str,
    password: str,
    ip: str,
    user_agent: str | None,
    settings: Settings,
    request_id: str | None = None,
) -> LoginResult:
    """Check a password and open a session. Responses and timing do not reveal whether the account exists."""
    email = email.strip().lower()[:254]
    throttled = _throttled(session, email, ip, settings)
    user = session.scalars(select(User).where(func.lower(User.email) == email)).one_or_none()
    # Always pay for one argon2 verification, even when throttled or the account is unknown.
    ok = credentials.check_password(password, user.password_hash if user else None)
    ok = ok and user is not None and user.active and not throttled
    now = clock.now()
    session.add(LoginAttempt(email=email, ip=ip[:64], succeeded=ok, at=now))
    if not ok or user is None:
        audit.record(
            session,
            anonymous(Channel.WEB, request_id),
            action="auth.login_failed",
            object_type="user",
            object_id=email,
            changes={"ip": [None, ip], "throttled": [None, throttled]},
        )
        message = "too many failed logins; wait a few minutes and try again" if throttled else LOGIN_FAILED
        return LoginResult(error=message, throttled=throttled)
    if user.password_hash and credentials.needs_rehash(user.password_hash):
        user.password_hash = credentials.hash_password(password)
    raw, csrf = start(session, user, ip=ip, user_agent=user_agent, settings=settings)
    audit.record(
        session,
        actor_for(user, Channel.WEB, request_id),
        action="auth.login",
        object_type="user",
        object_id=user.id,
        changes={"ip": [None, ip]},
    )
    return LoginResult(user=user, token=raw, csrf_token=csrf)


def start(
    session: Session, user: User, *, ip: str, user_agent: str | None, settings: Settings
) -> tuple[str, str]:
    """Open a session for an authenticated user; returns the cookie secret and the CSRF secret."""
    now = clock.now()
    raw, digest = credentials.new_secret()
    csrf, _ = credentials.new_secret()
    session.add(
        UserSession(
            token_hash=digest,
            user_id=user.id,
            csrf_token=csrf,
            created_at=now,
            expires_at=now + timedelta(hours=settings.session_hours),
            last_seen_at=now,
            ip=ip[:64],
            user_agent=(user_agent or "")[:300],
        )
    )
    session.flush()
    return raw, csrf


def authenticate(
    session: Session, raw: str, request_id: str | None = None
) -> tuple[Actor, UserSession] | None:
    """The actor behind a session cookie, or None when it is unknown, expired or its user is inactive."""
    found = session.scalars(
        select(UserSession)
        .where(UserSession.token_hash == credentials.digest(raw))
        .options(selectinload(UserSession.user).selectinload(User.teams))
    ).one_or_none()
    now = clock.now()
    if found is None or found.expires_at <= now or not found.user.active:
        return None
    if now - found.last_seen_at > timedelta(minutes=1):  # one write a minute, not one a request
        found.last_seen_at = now
    return actor_for(found.user, Channel.WEB, request_id), found


def logout(*, session: Session, actor: Actor, raw: str) -> None:
    session.execute(delete(UserSession).where(UserSession.token_hash == credentials.digest(raw)))
    audit.record(session, actor, action="auth.logout", object_type="user", object_id=actor.user_id)


def purge_expired(session: Session, keep_attempts: timedelta = timedelta(days=30)) -> None:
    now = clock.now()
    session.execute(delete(UserSession).where(UserSession.expires_at <= now))
    session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - keep_attempts))
