"""CMDB pages for staff: the CI list with its filters, the create and edit forms (retiring a CI with open
work asks first), and the picker's JSON that forms search as one types. The CI page is `ui_detail`."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from vigil.auth import policy as auth_policy
from vigil.auth import service as auth_service
from vigil.auth.deps import WebActor
from vigil.cmdb import policy, service, work
from vigil.cmdb.models import ConfigurationItem
from vigil.cmdb.schemas import CICreate, CIQuery, CIUpdate
from vigil.cmdb.vocabulary import Environment, Lifecycle
from vigil.core import validation
from vigil.core.actor import Actor
from vigil.core.errors import Conflict, Forbidden, Invalid, StaleVersion, VigilError
from vigil.web import forms
from vigil.web.deps import Db, FormBody
from vigil.web.templating import render, render_error

router = APIRouter(prefix="/cis", include_in_schema=False)

#: The list's filters (CIQuery's), as the GET form sends them.
FILTERS = ("q", "ci_class", "environment", "status", "owner_team", "tag", "cursor", "limit")
#: The form's labels where they differ from the shared ones.
LABELS = {"ci_class": "Class", "owner_team": "Owner team", "external_ids": "External ids"}
CRITICALITY = ((1, "1 — most critical"), (2, "2"), (3, "3"), (4, "4 — least critical"))
PICKER_LIMIT = 20


def staff_only(request: Request, actor: Actor) -> Response | None:
    """The CMDB pages are the staff's: anyone else gets a 403 page (requesters pick services in forms)."""
    if auth_policy.is_staff(actor) or policy.can(actor, "ci.create"):
        return None
    return render_error(request, 403, "Forbidden", "The CMDB pages are for staff.")


def choices(session: Session, actor: Actor) -> dict[str, Any]:
    """What the CMDB forms offer."""
    return {
        "classes": service.list_classes(session=session),
        "environments": list(Environment),
        "statuses": list(Lifecycle),
        "criticalities": CRITICALITY,
        "teams": auth_service.team_names(session=session, actor=actor),
        "keeper": policy.can(actor, "ci.create"),
    }


@router.get("", response_class=HTMLResponse)
def ci_list(request: Request, db: Db, actor: WebActor) -> Response:
    if (refused := staff_only(request, actor)) is not None:
        return refused
    raw = {k: v.strip() for k in FILTERS if (v := request.query_params.get(k, "")).strip()}
    errors: dict[str, str] = {}
    with db.unit_of_work() as session:
        items: list[ConfigurationItem] = []
        next_url = None
        try:
            page = service.page_cis(session=session, actor=actor, query=CIQuery.model_validate(raw))
            items = page.items
            if page.next_cursor:
                next_url = "/cis?" + urlencode({**raw, "cursor": page.next_cursor})
        except ValidationError as exc:
            errors = validation.form_errors(exc, labels=LABELS)
        except Invalid as exc:
            errors = validation.form_errors(exc, labels=LABELS)
        ctx = {"raw": raw, "items": items, "errors": errors, "next_url": next_url, **choices(session, actor)}
        ctx["first_url"] = "/cis?" + urlencode({k: v for k, v in raw.items() if k != "cursor"})
        return render(request, "cmdb/list.html", ctx, status_code=422 if errors else 200)


@router.get("/picker")
def picker(db: Db, actor: WebActor, q: str = "") -> JSONResponse:
    """CIs whose name contains `q`, as far as the actor may see them: what the CI picker offers."""
    with db.unit_of_work() as session:
        found = service.list_cis(session=session, actor=actor, q=q.strip()[:200] or None, limit=PICKER_LIMIT)
        return JSONResponse(
            [
                {"id": str(ci.id), "name": ci.name, "ci_class": ci.ci_class, "environment": ci.environment}
                for ci in found
            ]
        )


def _listed(text: Any) -> list[str]:
    return [v.strip() for v in str(text or "").split(",") if v.strip()]


def _external_ids(text: Any) -> list[dict[str, str]]:
    """One "source: id" a line."""
    out = []
    for line in str(text or "").splitlines():
        if line.strip():
            source, _, ident = line.partition(":")
            out.append({"source": source.strip(), "external_id": ident.strip()})
    return out


def fields(form: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The create or edit form as a schema's input (every field it shows), and what could not be read."""
    shown = ("name", "environment", "status", "criticality", "description")
    data: dict[str, Any] = {k: form[k] for k in shown if k in form}  # a blank one: the schema decides
    data["owner_team"] = form.get("owner_team") or None
    data["tags"] = _listed(form.get("tags"))
    data["external_ids"] = _external_ids(form.get("external_ids"))
    errors: dict[str, str] = {}
    text = str(form.get("attributes") or "").strip()
    try:
        data["attributes"] = json.loads(text) if text else {}
        if not isinstance(data["attributes"], dict):
            raise ValueError("not an object")
    except ValueError:
        errors["attributes"] = 'Attributes must be a JSON object, such as {"vendor": "Dell"}.'
    return data, errors


def _form_page(
    request: Request, db: Db, actor: Actor, ctx: dict[str, Any], status: int, ci_ref: str | None = None
) -> Response:
    with db.unit_of_work() as session:
        ctx = {**choices(session, actor), **ctx}
        if ci_ref is not None:
            ci = service.get(session=session, actor=actor, ref=ci_ref)
            ctx["ci"] = ci
            if ctx.get("open_work") is not None:
                ctx["open_work"] = work.open_work(session, actor, [ci.id])
        template = "cmdb/edit.html" if ci_ref is not None else "cmdb/new.html"
        return render(request, template, {"errors": {}, "form": {}, **ctx}, status_code=status)


@router.get("/new", response_class=HTMLResponse)
def new_form(request: Request, db: Db, actor: WebActor) -> Response:
    if not policy.can(actor, "ci.create"):
        return render_error(request, 403, "Forbidden", "Only CMDB managers and administrators add CIs.")
    return _form_page(request, db, actor, {}, 200)


@router.post("/new", response_class=HTMLResponse)
def create(request: Request, db: Db, actor: WebActor, posted: FormBody) -> Response:
    form = forms.values(posted)
    data, errors = fields(form)
    data["ci_class"] = form.get("ci_class", "")
    try:
        made = CICreate.model_validate(data)
        if errors:
            return _form_page(request, db, actor, {"form": form, "errors": errors}, 422)
        with db.unit_of_work() as session:
            ci_id = service.create(session=session, actor=actor, data=made).id
        return RedirectResponse(f"/cis/{ci_id}?notice=created", status_code=303)
    except (ValidationError, VigilError) as exc:
        status = 422 if isinstance(exc, ValidationError) else exc.status
        errors = {**validation.form_errors(exc, labels=LABELS), **errors}
        return _form_page(request, db, actor, {"form": form, "errors": errors}, status)


@router.get("/{ref}/edit", response_class=HTMLResponse)
def edit_form(request: Request, ref: str, db: Db, actor: WebActor) -> Response:
    if not policy.can(actor, "ci.update"):
        return render_error(request, 403, "Forbidden", "Only CMDB managers and administrators change CIs.")
    return _form_page(request, db, actor, {}, 200, ci_ref=ref)


@router.post("/{ref}/edit", response_class=HTMLResponse)
def update(request: Request, ref: str, db: Db, actor: WebActor, posted: FormBody) -> Response:
    form = forms.values(posted)
    data, errors = fields(form)
    data |= {"name": form.get("name", ""), "description": form.get("description", "")}  # emptied on purpose
    data |= {"version": form.get("version"), "confirm": forms.yes_no(form.get("confirm"))}
    ctx: dict[str, Any] = {"form": form, "errors": errors}
    try:
        wanted = CIUpdate.model_validate(data)
        if errors:
            return _form_page(request, db, actor, ctx, 422, ci_ref=ref)
        with db.unit_of_work() as session:
            ci = service.update(
                session=session, actor=actor, ref=ref, data=wanted, expected_version=wanted.version
            )
            ci_id = ci.id
        return RedirectResponse(f"/cis/{ci_id}?notice=saved", status_code=303)
    except (ValidationError, VigilError) as exc:
        return _refused_edit(request, db, actor, ref, ctx, exc)


def _refused_edit(
    request: Request, db: Db, actor: Actor, ref: str, ctx: dict[str, Any], exc: Exception
) -> Response:
    """The edit form again: asking to confirm a retirement, saying the CI changed meanwhile, or with the
    errors beside their fields."""
    if isinstance(exc, Forbidden):
        return render_error(request, 403, exc.title, exc.detail)
    if isinstance(exc, Conflict) and "open_work" in exc.extra:
        return _form_page(request, db, actor, {**ctx, "open_work": []}, 409, ci_ref=ref)
    if isinstance(exc, StaleVersion):
        stale = "Someone changed this CI after you opened the form: reload it to see their change."
        return _form_page(request, db, actor, {**ctx, "stale": stale}, 412, ci_ref=ref)
    status = 422 if isinstance(exc, ValidationError) else getattr(exc, "status", 400)
    if isinstance(exc, ValidationError | VigilError):
        ctx["errors"] = {**validation.form_errors(exc, labels=LABELS), **ctx["errors"]}
    return _form_page(request, db, actor, ctx, status, ci_ref=ref)
