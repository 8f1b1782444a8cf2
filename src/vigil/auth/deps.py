"""Who is acting on a request: the API's bearer token or the browser's session (with its CSRF check)."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from vigil.auth import policy as auth_policy
from vigil.auth import service as auth_service
from vigil.core.actor import Actor
from vigil.core.errors import Forbidden, Unauthorized
from vigil.web.deps import SAFE_METHODS, Db, LoginRequired, settle_request

SESSION_COOKIE = "vigil_session"
LOGIN_CSRF_COOKIE = "vigil_login_csrf"

bearer = HTTPBearer(
    auto_error=False, description="A personal access token (see /account or `vigil token create`)."
)


def get_api_actor(
    request: Request,
    db: Db,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    _settled: Annotated[None, Depends(settle_request)],
) -> Actor:
    """The token's user, looked up in the request's own transaction (one query), which the route's unit
    of work continues (`settle_request` ends it otherwise). Read-only tokens may only read; no valid
    token is a 401."""
    if credentials is None or not credentials.credentials.strip():
        raise Unauthorized("send a personal access token as 'Authorization: Bearer <token>'")
    session = db.begin_request()
    actor = auth_service.tokens.authenticate(
        session, credentials.credentials.strip(), request.state.request_id
    )
    if actor is None:
        raise Unauthorized("the token is invalid, expired or revoked")
    if request.method not in SAFE_METHODS and not auth_policy.scope_allows(actor.scopes, "write"):
        raise Forbidden("this token has the read scope only; changes need a token with the write scope")
    request.state.actor = actor
    return actor


def get_web_actor(request: Request, db: Db, _settled: Annotated[None, Depends(settle_request)]) -> Actor:
    """The session's user, looked up in the request's own transaction; no session sends the browser
    to the login form."""
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        raise LoginRequired
    session = db.begin_request()
    found = auth_service.sessions.authenticate(session, raw, request.state.request_id)
    if found is None:
        raise LoginRequired
    actor, user_session = found
    request.state.actor = actor
    request.state.csrf_token = user_session.csrf_token
    # Requesters' pages (the portal, their account, error pages) show the portal's top bar (docs/portal.md).
    request.state.portal_nav = not auth_policy.is_staff(actor)
    session.info["actor_session"] = user_session  # held for the request (the identity map is weak)
    return actor


async def csrf_protect(request: Request, actor: Annotated[Actor, Depends(get_web_actor)]) -> Actor:
    """Every state-changing form must echo the session's CSRF secret."""
    if request.method not in SAFE_METHODS:
        form = await request.form()
        sent = str(form.get("csrf_token", ""))
        if not hmac.compare_digest(sent.encode(), str(request.state.csrf_token).encode()):
            raise Forbidden(
                "the form has expired or did not come from Vigil (CSRF check failed); reload and retry"
            )
    return actor


ApiActor = Annotated[Actor, Depends(get_api_actor)]
WebActor = Annotated[Actor, Depends(csrf_protect)]
