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
from vigil.web import forms
from vigil.web.deps import Db, FormBody
from vigil.web.templating import render

router = APIRouter(prefix="/admin/people", include_in_schema=False)

NOTICES = {
    "user_created": "User created. Give them a password with `vigil user password EMAIL`.",
    "user_updated": "User updated.",
    "team_created": "Team created.",
    "team_updated": "Team updated.",
}


#: What the people page's forms call the fields the schemas and services name otherwise.
FIELDS = {"user": "manager"}


def _page(
    request: Request,
    db: Db,
    actor: WebActor,
    *,
    failed: str | None = None,
    errors: dict[str, str] | None = None,
    posted: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    """The page; after a refused change, `failed` names the form (`user-new`, `user-<id>`, `team-new`,
    `team-<id>`) whose fields show `errors`, refilled with what was `posted`."""
    with db.unit_of_work() as session:
        policy.require(actor, "user.update")  # the page is for administrators
        ctx: dict[str, Any] = {
            "users": service.list_users(session=session, actor=actor, include_inactive=True, with_teams=True),
            "teams": service.list_teams(session=session, actor=actor),
            "roles": list(Role),
            "failed": failed,
            "errors": errors or {},
            "ids": _field_ids(failed),
            "posted": posted or {},
            "notice": NOTICES.get(request.query_params.get("notice", "")),
        }
        return render(request, "auth/people.html", ctx, status_code=status)


def _field_ids(form_id: str | None) -> dict[str, str]:
    """The input id of each field of the form `form_id`, for the error summary's links."""
    if form_id == "user-new":
        return {"email": "new-user-email", "display_name": "new-user-name", "role": "new-user-role"}
    if form_id == "team-new":
        return {"name": "new-team-name", "manager": "new-team-manager"}
    if form_id and form_id.startswith("user-"):
        return {"role": f"role-{form_id[5:]}"}
    if form_id and form_id.startswith("team-"):
        return {"name": f"{form_id}-name", "manager": f"{form_id}-manager"}
    return {}


def _apply(
    request: Request, db: Db, actor: WebActor, notice: str, work: Any, *, form_id: str, posted: dict[str, Any]
) -> Response:
    """Run one change; success redirects (post/redirect/get), a refusal re-renders the page with every
    error on its field of the form that was sent."""
    try:
        with db.unit_of_work() as session:
            work(session)
    except ValidationError as exc:
        errors = validation.form_errors(exc, fields=FIELDS)
        return _page(request, db, actor, failed=form_id, errors=errors, posted=posted, status=422)
    except VigilError as exc:
        if exc.status in (403, 404):
            raise
        errors = validation.form_errors(exc, fields=FIELDS)
        return _page(request, db, actor, failed=form_id, errors=errors, posted=posted, status=exc.status)
    return RedirectResponse(f"/admin/people?notice={notice}", status_code=303)


@router.get("", response_class=HTMLResponse)
def people(request: Request, db: Db, actor: WebActor) -> Response:
    return _page(request, db, actor)


@router.post("/users")
def create_user(request: Request, db: Db, actor: WebActor, form: FormBody) -> Response:
    posted = forms.values(form)

    def work(session: Any) -> None:
        email = str(posted.get("email", ""))
        data = UserCreate.model_validate(
            {**posted, "email": email, "display_name": posted.get("display_name") or email.split("@")[0]}
        )
        service.create_user(session=session, actor=actor, data=data)

    return _apply(request, db, actor, "user_created", work, form_id="user-new", posted=posted)


@router.post("/users/{user_id}")
def update_user(request: Request, user_id: uuid.UUID, db: Db, actor: WebActor, form: FormBody) -> Response:
    posted = forms.values(form)
    if "active" in posted:  # the Disable/Enable button; anything but yes or no is refused, not guessed
        posted["active"] = forms.yes_no(posted["active"])

    def work(session: Any) -> None:
        service.update_user(
            session=session, actor=actor, ref=str(user_id), data=UserUpdate.model_validate(posted)
        )

    return _apply(request, db, actor, "user_updated", work, form_id=f"user-{user_id}", posted=posted)


@router.post("/teams")
def create_team(request: Request, db: Db, actor: WebActor, form: FormBody) -> Response:
    posted = forms.values(form, multi=("members",))

    def work(session: Any) -> None:
        service.create_team(session=session, actor=actor, data=TeamCreate.model_validate(posted))

    return _apply(request, db, actor, "team_created", work, form_id="team-new", posted=posted)


@router.post("/teams/{team_id}")
def update_team(request: Request, team_id: uuid.UUID, db: Db, actor: WebActor, form: FormBody) -> Response:
    posted = forms.values(form, multi=("members",))
    # The form always sends the whole membership: no box ticked means no members, and no manager chosen
    # means none (a blank field is left out of `posted`, which for a PATCH would mean "unchanged").
    data_in = {"name": None, **posted, "manager": posted.get("manager"), "members": posted.get("members", [])}

    def work(session: Any) -> None:
        service.update_team(
            session=session, actor=actor, ref=str(team_id), data=TeamUpdate.model_validate(data_in)
        )

    return _apply(request, db, actor, "team_updated", work, form_id=f"team-{team_id}", posted=posted)
