"""The administrators' people page: users (role, active) and teams (manager, members)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from vigil.auth import policy, service
from vigil.auth.deps import WebActor
from vigil.auth.roles import Role
from vigil.auth.schemas import TeamCreate, TeamUpdate, UserCreate, UserUpdate
from vigil.core import validation
from vigil.core.errors import VigilError
from vigil.web.deps import Db, FormBody
from vigil.web.templating import render

router = APIRouter(prefix="/admin/people", include_in_schema=False)

NOTICES = {
    "user_created": "User created. Give them a password with `vigil user password EMAIL`.",
    "user_updated": "User updated.",
    "team_created": "Team created.",
    "team_updated": "Team updated.",
}


def _page(
    request: Request, db: Db, actor: WebActor, *, error: str | None = None, status: int = 200
) -> Response:
    with db.unit_of_work() as session:
        policy.require(actor, "user.update")  # the page is for administrators
        ctx: dict[str, Any] = {
            "users": service.list_users(session=session, actor=actor, include_inactive=True, with_teams=True),
            "teams": service.list_teams(session=session, actor=actor),
            "roles": list(Role),
            "error": error,
            "notice": NOTICES.get(request.query_params.get("notice", "")),
        }
        return render(request, "auth/people.html", ctx, status_code=status)


def _apply(request: Request, db: Db, actor: WebActor, notice: str, work: Any) -> Response:
    """Run one change; success redirects (post/redirect/get), a refusal re-renders the page with it."""
    try:
        with db.unit_of_work() as session:
            work(session)
    except ValidationError as exc:
        return _page(request, db, actor, error=validation.summary(exc), status=422)
    except VigilError as exc:
        if exc.status in (403, 404):
            raise
        return _page(request, db, actor, error=exc.detail, status=exc.status)
    return RedirectResponse(f"/admin/people?notice={notice}", status_code=303)


@router.get("", response_class=HTMLResponse)
def people(request: Request, db: Db, actor: WebActor) -> Response:
    return _page(request, db, actor)


@router.post("/users")
def create_user(request: Request, db: Db, actor: WebActor, form: FormBody) -> Response:
    def work(session: Any) -> None:
        email = str(form.get("email", "")).strip()
        data = UserCreate.model_validate(
            {
                "email": email,
                "display_name": form.get("display_name") or email.split("@")[0],
                "role": form.get("role"),
            }
        )
        service.create_user(session=session, actor=actor, data=data)

    return _apply(request, db, actor, "user_created", work)


@router.post("/users/{user_id}")
def update_user(request: Request, user_id: uuid.UUID, db: Db, actor: WebActor, form: FormBody) -> Response:
    def work(session: Any) -> None:
        raw: dict[str, Any] = {}
        if form.get("role"):
            raw["role"] = form.get("role")
        if form.get("active") in ("true", "false"):
            raw["active"] = form.get("active") == "true"
        data = UserUpdate.model_validate(raw)
        service.update_user(session=session, actor=actor, ref=str(user_id), data=data)

    return _apply(request, db, actor, "user_updated", work)


@router.post("/teams")
def create_team(request: Request, db: Db, actor: WebActor, form: FormBody) -> Response:
    def work(session: Any) -> None:
        data = TeamCreate.model_validate(
            {
                "name": form.get("name", ""),
                "manager": form.get("manager") or None,
                "members": form.getlist("members"),
            }
        )
        service.create_team(session=session, actor=actor, data=data)

    return _apply(request, db, actor, "team_created", work)


@router.post("/teams/{team_id}")
def update_team(request: Request, team_id: uuid.UUID, db: Db, actor: WebActor, form: FormBody) -> Response:
    def work(session: Any) -> None:
        data = TeamUpdate.model_validate(
            {
                "name": form.get("name") or None,
                "manager": form.get("manager") or None,
                "members": form.getlist("members"),
            }
        )
        service.update_team(session=session, actor=actor, ref=str(team_id), data=data)

    return _apply(request, db, actor, "team_updated", work)
