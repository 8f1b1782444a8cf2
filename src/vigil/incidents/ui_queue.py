"""The agent's queue: views with live counts, saved personal views, one-line filters, sortable columns
of the agent's choice, previous and next pages, closed and cancelled incidents hidden unless asked for."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from vigil.auth.deps import WebActor
from vigil.core import savedviews, validation
from vigil.core.actor import Actor
from vigil.core.errors import Invalid, VigilError
from vigil.incidents import lifecycle, policy, service
from vigil.incidents.lifecycle import Status
from vigil.incidents.schemas import IncidentFilter
from vigil.incidents.ui import choices, to_portal
from vigil.web.deps import Db, FormBody
from vigil.web.templating import render, render_error

router = APIRouter(prefix="/incidents", include_in_schema=False)

LIST_NAME = "incidents"
#: Query parameters that repeat (lists of values).
MULTI = {"status", "priority", "category", "sla", "cols", "trail"}
#: Query parameters of the page itself, not of the filter.
PAGE_PARAMS = {"view", "closed", "cols", "trail"}
#: Statuses shown unless the filter names statuses or asks for closed ones.
ACTIVE = [s for s in Status if s not in lifecycle.FINAL]
#: Columns an agent may show (number and title always are), with their labels and sort keys.
COLUMNS = {
    "priority": ("Priority", "priority"),
    "status": ("Status", None),
    "category": ("Category", None),
    "assignee": ("Assignee", None),
    "group": ("Group", None),
    "requester": ("Requester", None),
    "created": ("Created", "created_at"),
    "updated": ("Updated", "updated_at"),
    "due": ("SLA due", "sla_due"),
}
DEFAULT_COLUMNS = ["priority", "status", "assignee", "group", "due", "updated"]
PAGE_SIZES = (25, 50, 100)
# Services name the field of a bad reference after the record kind; the queue form names it after the filter.
FILTER_FIELDS = {"user": "assigned_to", "team": "assignment_group", "affected_cis": "ci"}


@dataclass(frozen=True)
class View:
    key: str
    label: str
    query: dict[str, Any]
    staff_only: bool = False


#: Built-in views, in the sidebar's order.
VIEWS = (
    View("mine", "My open", {"assigned_to": "me"}, staff_only=True),
    View("unassigned", "Unassigned in my teams", {"assigned_to": "none", "assignment_group": "mine"}, True),
    View("teams", "My teams", {"assignment_group": "mine"}, staff_only=True),
    View("sla", "Breached and at risk", {"sla": ["breached", "at_risk"], "sort": "sla_due"}, staff_only=True),
    View("recent", "Recently updated", {"sort": "-updated_at"}),
    View("all", "All open", {}),
)


@dataclass
class Query:
    """The queue's query string, split into the filter and the page's own settings."""

    filters: dict[str, Any] = field(default_factory=dict)
    view: str | None = None
    closed: bool = False
    columns: list[str] = field(default_factory=lambda: list(DEFAULT_COLUMNS))
    trail: list[str] = field(default_factory=list)

    def url(self, **changes: Any) -> str:
        """This query with `changes` (None removes a key), as a queue URL."""
        params: dict[str, Any] = {**self.filters}
        if self.view:
            params["view"] = self.view
        if self.closed:
            params["closed"] = "1"
        if self.columns != DEFAULT_COLUMNS:
            params["cols"] = self.columns
        if self.trail:
            params["trail"] = self.trail
        for key, value in changes.items():
            if value is None or value == []:
                params.pop(key, None)
            else:
                params[key] = value
        return "/incidents?" + urlencode(params, doseq=True) if params else "/incidents"


def parse(request: Request) -> Query:
    q = Query()
    for key in request.query_params:
        values = [v.strip() for v in request.query_params.getlist(key) if v.strip() != ""]
        if not values:
            continue
        if key in ("created_after", "created_before") and len(values[0]) == 10:
            values = [values[0] + "T00:00:00Z"]
        value: Any = values if key in MULTI else values[0]
        if key == "view":
            q.view = value
        elif key == "closed":
            q.closed = value in ("1", "on", "true")
        elif key == "cols":
            q.columns = [c for c in value if c in COLUMNS] or list(DEFAULT_COLUMNS)
        elif key == "trail":
            q.trail = value
        else:
            q.filters[key] = value
    return q


def effective(q: Query, actor: Actor) -> dict[str, Any]:
    """What the list filters on: the view's filter under the page's own, active statuses by default."""
    view = next((v for v in VIEWS if v.key == q.view), None)
    merged = {**(view.query if view else {}), **q.filters}
    if not merged.get("status") and not q.closed:
        merged["status"] = [str(s) for s in ACTIVE]
    return merged


def view_counts(session: Any, actor: Actor) -> list[dict[str, Any]]:
    staff = policy.can(actor, "incident.assign")
    shown = []
    for view in VIEWS:
        if view.staff_only and not staff:
            continue
        filters = IncidentFilter.model_validate({**view.query, "status": [str(s) for s in ACTIVE]})
        count, exact = service.count_incidents(session=session, actor=actor, filters=filters)
        shown.append({"key": view.key, "label": view.label, "count": count, "exact": exact})
    return shown


@router.get("", response_class=HTMLResponse)
def queue(request: Request, db: Db, actor: WebActor) -> Response:
    if (elsewhere := to_portal(request, actor, "/portal")) is not None:
        return elsewhere
    q = parse(request)
    errors: dict[str, str] = {}
    filters = None
    try:
        filters = IncidentFilter.model_validate(effective(q, actor))
    except ValidationError as exc:
        errors = validation.first_per_field(exc)
    with db.unit_of_work() as session:
        page = None
        if filters is not None:
            try:
                page = service.list_incidents(session=session, actor=actor, filters=filters)
            except Invalid as exc:
                name = str(exc.extra.get("field", "form"))
                errors = {FILTER_FIELDS.get(name, name): exc.detail}
        current_cursor = q.filters.get("cursor")
        ctx: dict[str, Any] = {
            "q": q,
            "raw": q.filters,
            "errors": errors,
            "items": [service.to_read(i, actor) for i in page.items] if page else [],
            "views": view_counts(session, actor),
            "saved": savedviews.mine(session, actor, LIST_NAME),
            "columns": COLUMNS,
            "page_sizes": PAGE_SIZES,
            "sort": str(filters.sort) if filters else "-created_at",
            "limit": filters.limit if filters else 50,
            "active_filters": sorted(set(q.filters) - {"cursor", "sort", "limit", "q"}),
            "save_query": q.url(cursor=None, trail=None).partition("?")[2],
        }
        if page and page.next_cursor:
            ctx["next_url"] = q.url(cursor=page.next_cursor, trail=[*q.trail, current_cursor or "-"])
        if current_cursor:
            back = q.trail[-1] if q.trail else "-"
            ctx["prev_url"] = q.url(cursor=None if back == "-" else back, trail=q.trail[:-1])
        ctx.update(choices(session, actor))
        return render(request, "incidents/list.html", ctx, status_code=200 if not errors else 422)


@router.post("/views", response_class=HTMLResponse)
def save_view(request: Request, db: Db, actor: WebActor, posted: FormBody) -> Response:
    query = str(posted.get("query", ""))
    try:
        with db.unit_of_work() as session:
            savedviews.save(
                session, actor, list_name=LIST_NAME, name=str(posted.get("name", "")), query=query
            )
    except VigilError as exc:
        return _refused(request, exc)
    return RedirectResponse("/incidents?" + savedviews.clean_query(query), status_code=303)


@router.post("/views/{view_id}/delete", response_class=HTMLResponse)
def delete_view(request: Request, view_id: uuid.UUID, db: Db, actor: WebActor, posted: FormBody) -> Response:
    try:
        with db.unit_of_work() as session:
            savedviews.remove(session, actor, view_id)
    except VigilError as exc:
        return _refused(request, exc)
    return RedirectResponse("/incidents", status_code=303)


def _refused(request: Request, exc: VigilError) -> Response:
    return render_error(request, exc.status, exc.title, exc.detail)
