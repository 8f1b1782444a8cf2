"""Personal access tokens: shown once, stored as SHA-256, scoped (read, write, admin), expiring, revocable."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from vigil.auth import credentials, policy
from vigil.auth.models import ApiToken, User
from vigil.auth.roles import Role
from vigil.auth.schemas import Scope, TokenCreate
from vigil.auth.service.users import actor_for, own_account, resolve_user
from vigil.core import audit, clock, pagination
from vigil.core.actor import Actor, Channel
from vigil.core.db import touch_after_commit
from vigil.core.errors import Forbidden, NotFound
from vigil.core.pagination import Page
from vigil.core.schemas import ListQuery


def create(*, session: Session, actor: Actor, data: TokenCreate) -> tuple[ApiToken, str]:
    """A new token for yourself (or, as an administrator, for anyone); returns it and its one-time secret."""
    if actor.user_id is None and data.user is None:
        raise Forbidden("name the user the token is for")
    owner = own_account(session, actor, data.user) if data.user else session.get(User, actor.user_id)
    if owner is None and not policy.can(actor, "token.manage_others"):
        # Refused before looking anyone up, so the answer reveals no one's existence or state.
        raise Forbidden("only administrators create tokens for other users")
    if owner is None:
        owner = resolve_user(session, data.user or "")
    if data.scope is Scope.ADMIN and owner.role != Role.ADMIN:
        raise Forbidden("only administrators may hold a token with the admin scope")
    if not policy.scope_allows(actor.scopes, data.scope):
        raise Forbidden(f"a token cannot create a token with more rights than its own ({data.scope})")
    raw, digest = credentials.new_secret(credentials.TOKEN_PREFIX)
    now = clock.now()
    token = ApiToken(
        user_id=owner.id,
        name=data.name,
        token_hash=digest,
        prefix=raw[:12],
        scopes=policy.scopes_for(data.scope),
        created_at=now,
        expires_at=now + timedelta(days=data.expires_in_days) if data.expires_in_days else None,
    )
    session.add(token)
    session.flush()
    audit.record(
        session,
        actor,
        action="token.create",
        object_type="api_token",
        object_id=token.id,
        changes={"user": [None, owner.email], "name": [None, data.name], "scopes": [None, token.scopes]},
    )
    return token, raw


def list_for(*, session: Session, actor: Actor, user: str | None = None) -> list[ApiToken]:
    """Your tokens, or (administrators) another user's."""
    owner_id = _owner(session, actor, user)
    stmt = select(ApiToken).where(ApiToken.user_id == owner_id).order_by(ApiToken.created_at.desc())
    return list(session.scalars(stmt))


def _owner(session: Session, actor: Actor, user: str | None) -> uuid.UUID | None:
    """Whose tokens `actor` asks for: their own, or (administrators) `user`'s."""
    if user is not None and policy.can(actor, "token.manage_others"):
        return resolve_user(session, user, include_inactive=True).id
    if user is not None and own_account(session, actor, user) is None:
        # Decided without looking anyone up, so the answer reveals no one's existence.
        raise Forbidden("only administrators list other users' tokens")
    return actor.user_id


def page_for(*, session: Session, actor: Actor, query: ListQuery, user: str | None = None) -> Page[ApiToken]:
    """A page of `list_for`'s tokens, newest first (the API's list)."""
    owner_id = _owner(session, actor, user)
    stmt = select(ApiToken).where(ApiToken.user_id == owner_id)
    return pagination.page(
        session, stmt, column=ApiToken.created_at, id_column=ApiToken.id, sort="tokens:-created_at",
        cursor=query.cursor, limit=query.limit, descending=True, with_count=query.count,
    )  # fmt: skip


def revoke(*, session: Session, actor: Actor, token_id: uuid.UUID) -> ApiToken:
    """Revoke at once. Someone else's token is a 404 unless you are an administrator."""
    token = session.scalars(
        select(ApiToken).where(ApiToken.id == token_id, policy.visible_tokens(actor))
    ).one_or_none()
    if token is None:
        raise NotFound("token not found")
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        session.flush()
        audit.record(
            session,
            actor,
            action="token.revoke",
            object_type="api_token",
            object_id=token.id,
            changes={"revoked_at": [None, token.revoked_at.isoformat()]},
        )
    return token


def authenticate(session: Session, raw: str, request_id: str | None = None) -> Actor | None:
    """The actor behind a bearer token, or None when unknown, revoked, expired or its user is inactive."""
    if not raw.startswith(credentials.TOKEN_PREFIX) or len(raw) > 200:
        return None
    token = (
        session.scalars(
            select(ApiToken)
            .where(ApiToken.token_hash == credentials.digest(raw))
            .options(joinedload(ApiToken.user).joinedload(User.teams))  # one query: token, user, teams
        )
        .unique()
        .one_or_none()
    )
    now = clock.now()
    if token is None or token.revoked_at is not None or not token.user.active:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        # Throttled to one write a minute, and made after the request commits, in a short transaction
        # of its own: a read stays a read (on SQLite, beside the writer rather than queued for it).
        touch_after_commit(session, ApiToken, token.id, "last_used_at", now)
    # The session's identity map holds objects weakly: keep the caller's user alive for the request so
    # services asking for it (a requester defaulting to the caller) find it there instead of re-reading it.
    session.info["actor_user"] = token.user
    return actor_for(token.user, Channel.API, request_id, scopes=frozenset(token.scopes))
