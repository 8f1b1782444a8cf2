"""Web logins: throttled password checks, known-good devices, server-side sessions with a CSRF secret."""

from __future__ import annotations

import hashlib
import logging
import math
import unicodedata
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import ColumnElement, and_, delete, func, select
from sqlalchemy.orm import Session, joinedload

from vigil.auth import credentials
from vigil.auth.models import LoginAttempt, User, UserSession
from vigil.auth.service.users import actor_for, anonymous
from vigil.auth.settings import AuthSettings
from vigil.core import audit, clock
from vigil.core.actor import Actor, Channel
from vigil.core.db import touch_after_commit

log = logging.getLogger("vigil.auth")

#: Deliberately identical for an unknown email, a wrong password and an inactive account.
LOGIN_FAILED = "invalid email or password"
#: A browser that logged in to an account within this long is a known-good device for that account.
DEVICE_TRUST = timedelta(days=30)
#: Many people may share one address (an office, a proxy), so its limit is this multiple of an account's.
ADDRESS_FACTOR = 4
#: Column sizes of `login_attempt` (and `user_session.ip`): every value written must fit them.
EMAIL_SIZE, IP_SIZE, USER_AGENT_SIZE = 254, 64, 300


@dataclass(frozen=True)
class LoginResult:
    """The outcome of a login. A failure is returned, not raised, so the attempt is still committed."""

    user: User | None = None
    token: str | None = None
    csrf_token: str | None = None
    error: str | None = None
    throttled: bool = False
    #: Whole seconds to wait before trying again, when throttled.
    retry_after: int | None = None
    #: A fresh device-cookie secret, set on every successful login.
    device_token: str | None = None


@dataclass(frozen=True)
class _Attempt:
    """One attempt's inputs, made safe to store: every value fits its column and holds no control character."""

    email: str  # the normalised email, or a digest of what was typed when it cannot be an email
    ip: str
    device: str | None  # SHA-256 of the device cookie presented, if any
    lookup: bool  # the email may name an account
    valid: bool  # the email and the password may be right


@dataclass(frozen=True)
class _Throttle:
    key: str  # account, address or device
    failures: int
    wait: float


def _unsafe(value: str) -> bool:
    """Control characters (PostgreSQL refuses NUL in text) and lone surrogates (not encodable)."""
    return any(unicodedata.category(c) in ("Cc", "Cs") for c in value)


def fit(value: str, size: int) -> str:
    """`value` when it fits a column of `size` characters and is safe to store, else a digest of it."""
    if len(value) <= size and not _unsafe(value):
        return value
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()
    return f"sha256:{digest}"[:size]


def _attempt(email: str, password: str, ip: str, device: str | None) -> _Attempt:
    normal = email.strip().lower()
    lookup = 0 < len(normal) <= EMAIL_SIZE and not _unsafe(normal)
    valid = lookup and len(password) <= credentials.MAX_PASSWORD and not _unsafe(password)
    known = bool(device) and len(device or "") <= 100 and not _unsafe(device or "")
    return _Attempt(
        email=fit(normal, EMAIL_SIZE),
        ip=fit(ip, IP_SIZE),
        device=credentials.digest(device) if known and device else None,
        lookup=lookup,
        valid=valid,
    )


def _trusted(session: Session, attempt: _Attempt) -> bool:
    """A known-good device: it logged in to this very account within `DEVICE_TRUST`."""
    if attempt.device is None:
        return False
    found = session.scalar(
        select(LoginAttempt.id)
        .where(
            LoginAttempt.device == attempt.device,
            LoginAttempt.email == attempt.email,
            LoginAttempt.succeeded.is_(True),
            LoginAttempt.at >= clock.now() - DEVICE_TRUST,
        )
        .limit(1)
    )
    return found is not None


def backoff_seconds(excess: int, settings: AuthSettings) -> float:
    """The wait after `limit + excess` failures: the base, doubled per further failure, capped."""
    return min(settings.login_backoff_seconds * 2.0 ** min(excess, 64), settings.login_backoff_max_seconds)


def _backoff(
    session: Session, key: str, condition: ColumnElement[bool], limit: int, settings: AuthSettings
) -> _Throttle | None:
    """How long this source must still wait, from its checked failures in the window and the latest one."""
    now = clock.now()
    failures, last = session.execute(
        select(func.count(), func.max(LoginAttempt.at)).where(
            condition,
            LoginAttempt.succeeded.is_(False),
            LoginAttempt.at >= now - timedelta(minutes=settings.login_window_minutes),
        )
    ).one()
    if failures < limit or last is None:
        return None
    wait = backoff_seconds(failures - limit, settings) - (now - last).total_seconds()
    return _Throttle(key, int(failures), wait) if wait > 0 else None


def _throttle(session: Session, attempt: _Attempt, trusted: bool, settings: AuthSettings) -> _Throttle | None:
    """The longest wait imposed on this attempt. A known-good device answers only for its own failures."""
    limit = settings.login_max_failures
    if trusted:
        checks = [("device", LoginAttempt.device == attempt.device, limit)]
    else:
        untrusted = LoginAttempt.device.is_(None)  # failures on known-good devices count for those alone
        checks = [
            ("account", and_(LoginAttempt.email == attempt.email, untrusted), limit),
            ("address", and_(LoginAttempt.ip == attempt.ip, untrusted), ADDRESS_FACTOR * limit),
        ]
    found = [t for key, cond, n in checks if (t := _backoff(session, key, cond, n, settings)) is not None]
    return max(found, key=lambda t: t.wait, default=None)


def login(
    *,
    session: Session,
    email: str,
    password: str,
    ip: str,
    user_agent: str | None,
    settings: AuthSettings,
    request_id: str | None = None,
    device: str | None = None,
    replaces_session: str | None = None,
) -> LoginResult:
    """Check a password and open a session. Responses and timing do not reveal whether the account exists.

    `device` is the browser's device cookie, `replaces_session` its current session cookie (ended by a
    successful login, whoever it belonged to).
    """
    attempt = _attempt(email, password, ip, device)
    trusted = _trusted(session, attempt)
    throttle = _throttle(session, attempt, trusted, settings)
    if throttle is not None:
        return _refuse(session, attempt, throttle, request_id)  # unchecked: does not extend the wait
    user = None
    if attempt.lookup:
        user = session.scalars(select(User).where(func.lower(User.email) == attempt.email)).one_or_none()
    # Exactly one argon2 verification for every checked attempt, even for an unknown account.
    ok = credentials.check_password(password if attempt.valid else "", user.password_hash if user else None)
    if not ok or not attempt.valid or user is None or not user.active:
        return _fail(session, attempt, trusted, request_id)
    if user.password_hash and credentials.needs_rehash(user.password_hash):
        user.password_hash = credentials.rehash(password)
    if replaces_session:
        session.execute(
            delete(UserSession).where(UserSession.token_hash == credentials.digest(replaces_session))
        )
    device_raw, device_digest = credentials.new_secret()
    session.add(
        LoginAttempt(email=attempt.email, ip=attempt.ip, succeeded=True, at=clock.now(), device=device_digest)
    )
    raw, csrf = start(session, user, ip=attempt.ip, user_agent=user_agent, settings=settings)
    audit.record(
        session,
        actor_for(user, Channel.WEB, request_id),
        action="auth.login",
        object_type="user",
        object_id=user.id,
        changes={"ip": [None, attempt.ip]},
    )
    return LoginResult(user=user, token=raw, csrf_token=csrf, device_token=device_raw)


def _refuse(session: Session, attempt: _Attempt, throttle: _Throttle, request_id: str | None) -> LoginResult:
    wait = max(1, math.ceil(throttle.wait))
    log.warning(
        "login throttled by %s: %d failures in the window, wait %d s (address %s)",
        throttle.key,
        throttle.failures,
        wait,
        attempt.ip,
    )
    _audit_failure(session, attempt, request_id, wait=wait)
    return LoginResult(
        error=f"too many failed logins; try again in {wait} seconds", throttled=True, retry_after=wait
    )


def _fail(session: Session, attempt: _Attempt, trusted: bool, request_id: str | None) -> LoginResult:
    session.add(
        LoginAttempt(
            email=attempt.email,
            ip=attempt.ip,
            succeeded=False,
            at=clock.now(),
            device=attempt.device if trusted else None,  # a known-good device's failures count for it alone
        )
    )
    _audit_failure(session, attempt, request_id, wait=0)
    return LoginResult(error=LOGIN_FAILED)


def _audit_failure(session: Session, attempt: _Attempt, request_id: str | None, *, wait: int) -> None:
    audit.record(
        session,
        anonymous(Channel.WEB, request_id),
        action="auth.login_failed",
        object_type="user",
        object_id=attempt.email,
        changes={"ip": [None, attempt.ip], "throttled": [None, wait > 0], "wait": [None, wait]},
    )


def start(
    session: Session, user: User, *, ip: str, user_agent: str | None, settings: AuthSettings
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
            ip=fit(ip, IP_SIZE),
            user_agent="".join(c for c in user_agent or "" if not _unsafe(c))[:USER_AGENT_SIZE],
        )
    )
    session.flush()
    return raw, csrf


def authenticate(
    session: Session, raw: str, request_id: str | None = None
) -> tuple[Actor, UserSession] | None:
    """The actor behind a session cookie, or None when it is unknown, expired or its user is inactive."""
    found = (
        session.scalars(
            select(UserSession)
            .where(UserSession.token_hash == credentials.digest(raw))
            .options(joinedload(UserSession.user).joinedload(User.teams))  # one query: session, user, teams
        )
        .unique()
        .one_or_none()
    )
    now = clock.now()
    if found is None or found.expires_at <= now or not found.user.active:
        return None
    if now - found.last_seen_at > timedelta(minutes=1):  # one write a minute, not one a request
        touch_after_commit(session, UserSession, found.id, "last_seen_at", now)
    return actor_for(found.user, Channel.WEB, request_id), found


def logout(*, session: Session, actor: Actor, raw: str) -> None:
    session.execute(delete(UserSession).where(UserSession.token_hash == credentials.digest(raw)))
    audit.record(session, actor, action="auth.logout", object_type="user", object_id=actor.user_id)


def purge_expired(session: Session, keep_attempts: timedelta = DEVICE_TRUST) -> None:
    """Drop expired sessions and old login attempts (kept as long as they make a device known-good)."""
    now = clock.now()
    session.execute(delete(UserSession).where(UserSession.expires_at <= now))
    session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - keep_attempts))
