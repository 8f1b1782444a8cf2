"""The administrators' SLA pages: the calendars and policies, a calendar's hours with its week preview,
a policy's targets. Staff may look; only administrators see the forms that change them."""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from vigil.auth.deps import WebActor
from vigil.core import clock, validation
from vigil.core.actor import Actor
from vigil.core.errors import Invalid, VigilError
from vigil.sla import admin, policy, text
from vigil.sla.schemas import (
    PRIORITIES,
    CalendarCreate,
    CalendarUpdate,
    PolicyCreate,
    PolicyUpdate,
    WeekPreview,
)
from vigil.web import forms
from vigil.web.deps import Db, FormBody
from vigil.web.templating import render

router = APIRouter(prefix="/admin/sla", include_in_schema=False)

NOTICES = {
    "calendar_saved": "Calendar saved. Clocks already running keep the hours they started with.",
    "calendar_deleted": "Calendar deleted.",
    "policy_saved": "Policy saved. Clocks already running keep the targets they started with.",
    "policy_deleted": "Policy deleted.",
}
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _url(kind: str, name: str) -> str:
    return f"/admin/sla/{kind}/{quote(name, safe='')}"


def _notice(request: Request) -> str | None:
    return NOTICES.get(request.query_params.get("notice", ""))


@router.get("", response_class=HTMLResponse)
def overview(request: Request, db: Db, actor: WebActor) -> Response:
    with db.unit_of_work() as session:
        calendars = admin.list_calendars(session=session, actor=actor)
        policies = admin.list_policies(session=session, actor=actor)
        used = {c.name: admin.policies_using(session, c.name) for c in calendars}
        ctx = {
            "calendars": calendars,
            "policies": policies,
            "used": used,
            "can_manage": policy.can(actor, "sla.manage"),
            "notice": _notice(request),
            "hours": text.format_hours,
            "duration": text.format_duration,
            "priorities": PRIORITIES,
        }
        return render(request, "sla/index.html", ctx)


# Calendars ----------------------------------------------------------------------------------------------


def _calendar_form(row: Any) -> dict[str, str]:
    """A stored calendar as the form's text fields."""
    out = {f"hours_{i}": text.format_hours(row.week[i]) for i in range(7)}
    out |= {
        "timezone": row.timezone,
        "country": row.country or "",
        "subdivision": row.subdivision or "",
        "extra_holidays": "\n".join(row.extra_holidays or []),
        "half_days": "\n".join(
            f"{d} {text.format_hours(v)}" for d, v in sorted((row.half_days or {}).items())
        ),
        "version": str(row.version),
    }
    return out


def _calendar_values(posted: dict[str, Any]) -> dict[str, Any]:
    """The form's text as a schema's input: hours per weekday, one date or "DATE HH:MM-HH:MM" a line."""
    week = [text.parse_hours(str(posted.get(f"hours_{i}", "")), f"hours_{i}") for i in range(7)]
    holidays = [d for d in re.split(r"[\s,]+", str(posted.get("extra_holidays", ""))) if d]
    halves: dict[str, Any] = {}
    for line in str(posted.get("half_days", "")).splitlines():
        if line.strip():
            day, _, hours = line.strip().partition(" ")
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", day):
                raise Invalid(
                    f"{line.strip()!r} is not a line such as 2026-12-24 09:00-13:00.", field="half_days"
                )
            halves[day] = text.parse_hours(hours, "half_days")
    values = {
        "timezone": posted.get("timezone") or "",
        "week": week,
        "country": posted.get("country") or None,
        "subdivision": posted.get("subdivision") or None,
        "extra_holidays": holidays,
        "half_days": halves,
    }
    if posted.get("name") is not None:
        values["name"] = posted["name"]
    return values


def _field(name: str) -> str:
    """The form field an error names: `week.2.0` is the Wednesday hours field, `half_days.<date>` the
    half-days box."""
    parts = name.split(".")
    if parts[0] == "week" and len(parts) > 1 and parts[1].isdigit():
        return f"hours_{parts[1]}"
    return parts[0]


def _errors(exc: ValidationError | VigilError) -> dict[str, str]:
    if isinstance(exc, ValidationError):
        items = [{"field": f, "message": m} for f, m in validation.field_errors(exc)]
    else:
        items = exc.errors or [{"field": "form", "message": exc.detail}]
    out: dict[str, str] = {}
    for item in items:
        out.setdefault(_field(str(item.get("field") or "form")), str(item.get("message", "")))
    return out


def _preview_rows(preview: WeekPreview) -> list[dict[str, Any]]:
    """Each day of the preview with 24 hour cells: how much of each local hour is working time."""
    rows = []
    for day in preview.days:
        minutes = [0] * 24
        for span in day.spans:
            start = span.start.hour * 60 + span.start.minute
            end = span.end.hour * 60 + span.end.minute if span.end.date() == day.date else 1440
            for hour in range(24):
                minutes[hour] += max(0, min(end, hour * 60 + 60) - max(start, hour * 60))
        local = ", ".join(f"{s.start:%H:%M}-{s.end:%H:%M}" for s in day.spans)
        utc = ", ".join(f"{s.start_utc:%H:%M}-{s.end_utc:%H:%M}" for s in day.spans)
        rows.append({"day": day, "cells": [min(60, m) for m in minutes], "local": local, "utc": utc})
    return rows


def _week_start(request: Request) -> date:
    raw = request.query_params.get("week", "")
    today = clock.now().date()
    try:
        chosen = date.fromisoformat(raw) if raw else today
    except ValueError:
        return today
    low, high = admin.PREVIEW_RANGE
    return chosen if low <= chosen <= high else today


def _calendar_page(
    request: Request,
    session: Session,
    actor: Actor,
    name: str | None,
    *,
    errors: dict[str, str] | None = None,
    posted: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    row = admin.get_calendar(session=session, actor=actor, name=name) if name else None
    start = admin.monday_of(_week_start(request))
    ctx: dict[str, Any] = {
        "row": row,
        "form": posted if posted is not None else (_calendar_form(row) if row else {"timezone": "UTC"}),
        "errors": errors or {},
        "ids": {
            k: k
            for k in (
                *(f"hours_{i}" for i in range(7)),
                "timezone",
                "country",
                "subdivision",
                "extra_holidays",
                "half_days",
                "name",
            )
        }
        | {"week": "hours_0"},
        "days": DAY_NAMES,
        "can_manage": policy.can(actor, "sla.manage"),
        "notice": _notice(request),
        "used_by": admin.policies_using(session, row.name) if row else [],
        "preview": None,
        "start": start,
    }
    if row is not None:
        preview = admin.week(session=session, actor=actor, name=row.name, start=start)
        ctx["preview"] = preview
        ctx["preview_rows"] = _preview_rows(preview)
        ctx["previous"] = date.fromordinal(start.toordinal() - 7)
        ctx["next"] = date.fromordinal(start.toordinal() + 7)
    return render(request, "sla/calendar.html", ctx, status_code=status)


@router.get("/calendars/new", response_class=HTMLResponse)
def new_calendar(request: Request, db: Db, actor: WebActor) -> Response:
    with db.unit_of_work() as session:
        policy.require(actor, "sla.manage")
        return _calendar_page(request, session, actor, None)


@router.get("/calendars/{name}", response_class=HTMLResponse)
def calendar_page(name: str, request: Request, db: Db, actor: WebActor) -> Response:
    with db.unit_of_work() as session:
        return _calendar_page(request, session, actor, name)


def _save(
    request: Request, db: Db, actor: Actor, work: Any, *, page: Any, posted: dict[str, Any], done: Any
) -> Response:
    """Run one change; success redirects (post/redirect/get), a refusal shows the form again with each
    error beside its field."""
    try:
        with db.unit_of_work() as session:
            target = work(session)
    except (ValidationError, VigilError) as exc:
        if isinstance(exc, VigilError) and exc.status in (403, 404):
            raise
        status = 422 if isinstance(exc, ValidationError) else exc.status
        with db.unit_of_work() as session:
            return page(session, errors=_errors(exc), posted=posted, status=status)
    return RedirectResponse(done(target), status_code=303)


@router.post("/calendars")
def create_calendar(request: Request, db: Db, actor: WebActor, form: FormBody) -> Response:
    posted = forms.values(form)

    def work(session: Session) -> str:
        data = CalendarCreate.model_validate(_calendar_values({"name": "", **posted}))
        return admin.create_calendar(session=session, actor=actor, data=data).name

    return _save(
        request, db, actor, work, posted=posted,
        page=lambda s, **kw: _calendar_page(request, s, actor, None, **kw),
        done=lambda name: _url("calendars", name) + "?notice=calendar_saved",
    )  # fmt: skip


@router.post("/calendars/{name}")
def update_calendar(name: str, request: Request, db: Db, actor: WebActor, form: FormBody) -> Response:
    posted = forms.values(form)
    posted.pop("name", None)

    def work(session: Session) -> str:
        data = CalendarUpdate.model_validate(_calendar_values(posted))
        version = int(posted["version"]) if str(posted.get("version", "")).isdigit() else None
        return admin.update_calendar(
            session=session, actor=actor, name=name, data=data, expected_version=version
        ).name

    return _save(
        request, db, actor, work, posted=posted,
        page=lambda s, **kw: _calendar_page(request, s, actor, name, **kw),
        done=lambda saved: _url("calendars", saved) + "?notice=calendar_saved",
    )  # fmt: skip


@router.post("/calendars/{name}/delete")
def delete_calendar(name: str, request: Request, db: Db, actor: WebActor, form: FormBody) -> Response:
    def work(session: Session) -> str:
        admin.delete_calendar(session=session, actor=actor, name=name)
        return name

    return _save(
        request, db, actor, work, posted={},
        page=lambda s, **kw: _calendar_page(request, s, actor, name, **{**kw, "posted": None}),
        done=lambda _: "/admin/sla?notice=calendar_deleted",
    )  # fmt: skip


# Policies -----------------------------------------------------------------------------------------------


CONDITIONS = ("priority", "category", "ci", "team")


def _policy_form(session: Session, row: Any) -> dict[str, str]:
    out = {"position": str(row.position), "active": "yes" if row.active else "", "version": str(row.version)}
    for kind, names in admin.condition_names(session, row.conditions or {}).items():
        out[f"cond_{kind}"] = ", ".join(names)
    for p, t in (row.targets or {}).items():
        out |= {
            f"{p}_response": text.format_duration(t["response"]),
            f"{p}_resolution": text.format_duration(t["resolution"]),
            f"{p}_calendar": t["calendar"],
        }
    return out


def _policy_values(posted: dict[str, Any]) -> dict[str, Any]:
    """The form as a schema's input: a priority with both durations blank has no target."""
    targets = {}
    for p in PRIORITIES:
        response, resolution = posted.get(f"{p}_response"), posted.get(f"{p}_resolution")
        if response or resolution:
            targets[p] = {
                "response": text.parse_duration(str(response or ""), f"targets.{p}.response"),
                "resolution": text.parse_duration(str(resolution or ""), f"targets.{p}.resolution"),
                "calendar": posted.get(f"{p}_calendar") or "",
            }
    values: dict[str, Any] = {"active": forms.yes_no(posted.get("active")), "targets": targets}
    # The page's form says it carries the conditions (blank fields may not be posted at all).
    if posted.get("conditions_form") or any(posted.get(f"cond_{kind}") for kind in CONDITIONS):
        values["conditions"] = {
            kind: [v.strip() for v in str(posted.get(f"cond_{kind}") or "").split(",") if v.strip()] or None
            for kind in CONDITIONS
        }
    if posted.get("position") is not None:
        values["position"] = posted["position"]
    return values


def _policy_field(name: str) -> str:
    parts = name.split(".")
    if parts[0] == "targets" and len(parts) > 2:
        return f"{parts[1]}_{parts[2]}"
    if parts[0] == "targets" and len(parts) == 2:
        return f"{parts[1]}_response"
    if parts[0] == "conditions" and len(parts) > 1:
        return f"cond_{parts[1]}"
    return parts[0]


def _policy_page(
    request: Request,
    session: Session,
    actor: Actor,
    name: str | None,
    *,
    errors: dict[str, str] | None = None,
    posted: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    row = admin.get_policy(session=session, actor=actor, name=name) if name else None
    fixed = {_policy_field(k): v for k, v in (errors or {}).items()}
    ctx: dict[str, Any] = {
        "row": row,
        "form": posted
        if posted is not None
        else (_policy_form(session, row) if row else {"position": "100", "active": "yes"}),
        "errors": fixed,
        "ids": {k: k for k in fixed},
        "priorities": PRIORITIES,
        "calendars": [c.name for c in admin.list_calendars(session=session, actor=actor)],
        "can_manage": policy.can(actor, "sla.manage"),
        "notice": _notice(request),
    }
    return render(request, "sla/policy.html", ctx, status_code=status)


def _raw_errors(exc: ValidationError | VigilError) -> dict[str, str]:
    if isinstance(exc, ValidationError):
        items = [{"field": f, "message": m} for f, m in validation.field_errors(exc)]
    else:
        items = exc.errors or [{"field": "form", "message": exc.detail}]
    out: dict[str, str] = {}
    for item in items:
        out.setdefault(str(item.get("field") or "form"), str(item.get("message", "")))
    return out


def _save_policy(
    request: Request, db: Db, actor: Actor, work: Any, name: str | None, posted: dict[str, Any] | None
) -> Response:
    try:
        with db.unit_of_work() as session:
            saved = work(session)
    except (ValidationError, VigilError) as exc:
        if isinstance(exc, VigilError) and exc.status in (403, 404):
            raise
        status = 422 if isinstance(exc, ValidationError) else exc.status
        with db.unit_of_work() as session:
            return _policy_page(
                request, session, actor, name, errors=_raw_errors(exc), posted=posted, status=status
            )
    if saved is None:
        return RedirectResponse("/admin/sla?notice=policy_deleted", status_code=303)
    return RedirectResponse(_url("policies", saved) + "?notice=policy_saved", status_code=303)


@router.get("/policies/new", response_class=HTMLResponse)
def new_policy(request: Request, db: Db, actor: WebActor) -> Response:
    with db.unit_of_work() as session:
        policy.require(actor, "sla.manage")
        return _policy_page(request, session, actor, None)


@router.get("/policies/{name}", response_class=HTMLResponse)
def policy_page(name: str, request: Request, db: Db, actor: WebActor) -> Response:
    with db.unit_of_work() as session:
        return _policy_page(request, session, actor, name)


@router.post("/policies")
def create_policy(request: Request, db: Db, actor: WebActor, form: FormBody) -> Response:
    posted = forms.values(form)

    def work(session: Session) -> str:
        data = PolicyCreate.model_validate({"name": posted.get("name", ""), **_policy_values(posted)})
        return admin.create_policy(session=session, actor=actor, data=data).name

    return _save_policy(request, db, actor, work, None, posted)


@router.post("/policies/{name}")
def update_policy(name: str, request: Request, db: Db, actor: WebActor, form: FormBody) -> Response:
    posted = forms.values(form)

    def work(session: Session) -> str:
        data = PolicyUpdate.model_validate(_policy_values(posted))
        version = int(posted["version"]) if str(posted.get("version", "")).isdigit() else None
        return admin.update_policy(
            session=session, actor=actor, name=name, data=data, expected_version=version
        ).name

    return _save_policy(request, db, actor, work, name, posted)


@router.post("/policies/{name}/delete")
def delete_policy(name: str, request: Request, db: Db, actor: WebActor, form: FormBody) -> Response:
    def work(session: Session) -> None:
        admin.delete_policy(session=session, actor=actor, name=name)

    return _save_policy(request, db, actor, work, name, None)
