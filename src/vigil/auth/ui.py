"""Web pages for identity: log in, log out, and the account page (password, personal access tokens)."""

from __future__ import annotations

import hmac
import secrets
import uuid
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import SecretStr, ValidationError

from vigil.auth import service
from vigil.auth.deps import LOGIN_CSRF_COOKIE, SESSION_COOKIE, WebActor
from vigil.auth.schemas import Scope, TokenCreate, TokenRead
from vigil.auth.settings import AuthSettings
from vigil.core.errors import VigilError
from vigil.web.deps import Db, FormBody
from vigil.web.templating import render

router = APIRouter(include_in_schema=False)
#: A random secret per browser; a login from a known-good device is not held back by others' failures.
DEVICE_COOKIE = "vigil_device"


def _safe_next(target: str | None) -> str:
    """Only same-site paths: never redirect a fresh login to another host."""
    if not target:
        return "/incidents"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/incidents"
    return target


def _secure(request: Request) -> bool:
    mode = request.app.state.auth_settings.cookie_secure
    return mode == "always" or (mode == "auto" and request.url.scheme == "https")


def _login_page(
    request: Request, *, error: str | None, email: str = "", status_code: int = 200, next_: str | None = None
) -> Response:
    token = secrets.token_urlsafe(24)
    ctx = {
        "error": error,
        "email": email,
        "next": _safe_next(next_ if next_ is not None else request.query_params.get("next")),
        "login_csrf": token,
    }
    response = render(request, "auth/login.html", ctx, status_code=status_code)
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, httponly=True, samesite="lax", secure=_secure(request), path="/login"
    )
    return response


@router.get("/login")
def login_form(request: Request) -> Response:
    return _login_page(request, error=None)


@router.post("/login")
def login(request: Request, db: Db, form: FormBody) -> Response:
    email, password = str(form.get("email", "")), str(form.get("password", ""))
    next_ = str(form.get("next", ""))  # the page to return to, kept across a failed attempt
    sent, expected = str(form.get("login_csrf", "")), request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        return _login_page(
            request,
            error="the login form expired; please try again",
            email=email,
            status_code=403,
            next_=next_,
        )
    settings: AuthSettings = request.app.state.auth_settings
    with db.unit_of_work() as session:
        result = service.sessions.login(
            session=session,
            email=email,
            password=password,
            ip=request.client.host if request.client else "unknown",
            user_agent=request.headers.get("user-agent"),
            settings=settings,
            request_id=request.state.request_id,
            device=request.cookies.get(DEVICE_COOKIE),
            replaces_session=request.cookies.get(SESSION_COOKIE),
        )
    if result.error or result.token is None:
        response = _login_page(
            request,
            error=result.error,
            email=email,
            status_code=429 if result.throttled else 401,
            next_=next_,
        )
        if result.retry_after:
            response.headers["Retry-After"] = str(result.retry_after)
        return response
    return _logged_in(request, result, _safe_next(next_), settings)


def _logged_in(
    request: Request, result: service.sessions.LoginResult, target: str, settings: AuthSettings
) -> Response:
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        result.token or "",
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        max_age=int(settings.session_hours * 3600),
        path="/",
    )
    # Marks this browser as a known-good device for the account; only the login form ever reads it.
    response.set_cookie(
        DEVICE_COOKIE,
        result.device_token or "",
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        max_age=int(service.sessions.DEVICE_TRUST.total_seconds()),
        path="/login",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, db: Db, actor: WebActor) -> Response:
    with db.unit_of_work() as session:
        service.sessions.logout(session=session, actor=actor, raw=request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _account(request: Request, db: Db, actor: WebActor, *, status_code: int = 200, **extra: Any) -> Response:
    with db.unit_of_work() as session:
        ctx = {
            "me": service.load_user(session, actor.user_id) if actor.user_id else None,
            "tokens": [
                TokenRead.model_validate(t) for t in service.tokens.list_for(session=session, actor=actor)
            ],
            "scopes": list(Scope),
            **extra,
        }
        return render(request, "auth/account.html", ctx, status_code=status_code)


@router.get("/account")
def account(request: Request, db: Db, actor: WebActor) -> Response:
    return _account(request, db, actor)


@router.post("/account/password")
def change_password(request: Request, db: Db, actor: WebActor, form: FormBody) -> Response:
    new, again = str(form.get("new_password", "")), str(form.get("confirm_password", ""))
    if new != again:
        return _account(request, db, actor, status_code=422, password_error="the two new passwords differ")
    try:
        with db.unit_of_work() as session:
            service.set_password(
                session=session,
                actor=actor,
                ref=str(actor.user_id),
                new_password=new,
                current_password=str(form.get("current_password", "")),
                revoke_tokens=form.get("revoke_tokens") == "1",
            )
    except VigilError as exc:
        return _account(request, db, actor, status_code=exc.status, password_error=exc.detail)
    response = RedirectResponse("/login?changed=1", status_code=303)  # every session ended, this one too
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/account/tokens")
def create_token(request: Request, db: Db, actor: WebActor, form: FormBody) -> Response:
    try:
        data = TokenCreate.model_validate(
            {
                "name": form.get("name", ""),
                "scope": form.get("scope", "read"),
                "expires_in_days": int(str(form.get("expires_in_days") or 90)),
            }
        )
        with db.unit_of_work() as session:
            token, raw = service.tokens.create(session=session, actor=actor, data=data)
            name = token.name
    except (ValidationError, ValueError) as exc:
        return _account(
            request, db, actor, status_code=422, token_error=f"invalid token request: {exc}"[:300]
        )
    except VigilError as exc:
        return _account(request, db, actor, status_code=exc.status, token_error=exc.detail)
    return _account(request, db, actor, status_code=201, new_token=SecretStr(raw), new_token_name=name)


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(request: Request, token_id: uuid.UUID, db: Db, actor: WebActor) -> Response:
    with db.unit_of_work() as session:
        service.tokens.revoke(session=session, actor=actor, token_id=token_id)
    return RedirectResponse("/account", status_code=303)
