"""The CI page: its fields, relationships both ways (with adding and removing them), the open work on it and
on everything it relies on, its history, and its impact drawn by Graphviz (`graph`) or shown as a tree."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.auth.deps import WebActor
from vigil.cmdb import graph, policy, service
from vigil.cmdb.models import ConfigurationItem
from vigil.cmdb.schemas import ImpactDirection, ImpactQuery, RelationshipCreate, RelationshipRead
from vigil.cmdb.ui import LABELS, staff_only
from vigil.cmdb.vocabulary import REL_LABELS, RelKind
from vigil.core import validation
from vigil.core.actor import Actor
from vigil.core.audit import AuditRecord
from vigil.core.errors import NotFound, VigilError
from vigil.web import forms
from vigil.web.deps import Db, FormBody
from vigil.web.templating import render, render_error

router = APIRouter(prefix="/cis", include_in_schema=False)

NOTICES = {
    "created": "CI created.",
    "saved": "Changes saved.",
    "related": "Relationship added.",
    "unrelated": "Relationship removed.",
}
#: How the history tells each kind of change.
ACTIONS = {
    "ci.create": "registered the CI",
    "ci.update": "changed",
    "ci.relate": "added a relationship",
    "ci.unrelate": "removed a relationship",
}
IMPACT_DEPTH = 10
#: The drawing's own policy: its inline <style> applies, nothing else loads or runs.
SVG_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff",
}
REL_FIELDS = {"target": "other", "source": "other", "ci": "other"}


def _direction(request: Request) -> ImpactDirection:
    wanted = request.query_params.get("direction", "")
    return ImpactDirection.DOWNSTREAM if wanted == ImpactDirection.DOWNSTREAM else ImpactDirection.UPSTREAM


def grouped(rels: Sequence[RelationshipRead]) -> list[tuple[str, list[RelationshipRead]]]:
    """The relationships under their wording from this CI, in the service's order (outgoing first)."""
    groups: dict[str, list[RelationshipRead]] = {}
    for rel in rels:
        groups.setdefault(rel.label, []).append(rel)
    return list(groups.items())


def _names(session: Session, actor: Actor, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The names of the CIs the open work is on (one query)."""
    if not ids:
        return {}
    rows = session.execute(
        select(ConfigurationItem.id, ConfigurationItem.name).where(
            ConfigurationItem.id.in_(ids), policy.visible(actor)
        )
    )
    return {ci_id: name for ci_id, name in rows}


def _history(rows: list[AuditRecord]) -> list[dict[str, Any]]:
    return [
        {
            "at": r.occurred_at,
            "actor": r.actor_name,
            "words": ACTIONS.get(r.action, r.action),
            "changes": r.changes,
        }
        for r in reversed(rows)
    ]


def _context(session: Session, actor: Actor, ref: str, direction: ImpactDirection) -> dict[str, Any]:
    ci = service.get(session=session, actor=actor, ref=ref)
    ref = str(ci.id)
    impact = service.impact(
        session=session, actor=actor, ref=ref, query=ImpactQuery(direction=direction, depth=IMPACT_DEPTH)
    )
    open_work = service.open_work_below(session=session, actor=actor, ref=ref)
    readers = policy.can(actor, "ci.read_history")
    return {
        "ci": ci,
        "ci_class": service.get_class(session=session, key=ci.ci_class),
        "groups": grouped(service.relationships(session=session, actor=actor, ref=ref)),
        "open_work": open_work,
        "work_on": _names(session, actor, {w.ci_id for w in open_work}),
        "history": _history(service.history(session=session, actor=actor, ref=ref)) if readers else [],
        "impact": impact,
        "direction": direction,
        "shape": graph.shape(impact),
        "drawn": graph.dot_installed(),
        "missing": graph.MISSING,
        "kinds": [(k, REL_LABELS[k]) for k in RelKind],
        "keeper": policy.can(actor, "ci.relate"),
        "label": lambda name: validation.label_of(name, LABELS),
    }


def detail_page(
    request: Request,
    db: Db,
    actor: Actor,
    ref: str,
    *,
    status_code: int = 200,
    form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    """The CI page; after a refused relationship form, `form` is what was sent and `errors` why."""
    with db.unit_of_work() as session:
        ctx = _context(session, actor, ref, _direction(request))
        ctx |= {
            "notice": NOTICES.get(request.query_params.get("notice") or ""),
            "form": form or {},
            "errors": errors or {},
        }
        return render(request, "cmdb/detail.html", ctx, status_code=status_code)


@router.get("/{ref}", response_class=HTMLResponse)
def detail(request: Request, ref: str, db: Db, actor: WebActor) -> Response:
    if (refused := staff_only(request, actor)) is not None:
        return refused
    return detail_page(request, db, actor, ref)


@router.get("/{ref}/impact.svg")
def impact_svg(request: Request, ref: str, db: Db, actor: WebActor) -> Response:
    """The impact drawn by Graphviz's dot; 404 where dot is not installed (the page shows a tree)."""
    if staff_only(request, actor) is not None:
        return Response("Forbidden", status_code=403, media_type="text/plain")
    try:
        with db.unit_of_work() as session:
            query = ImpactQuery(direction=_direction(request), depth=IMPACT_DEPTH)
            impact = service.impact(session=session, actor=actor, ref=ref, query=query)
    except VigilError as exc:
        return Response(exc.detail, status_code=exc.status, media_type="text/plain")
    svg = graph.render(impact)
    if svg is None:
        return Response(graph.MISSING, status_code=404, media_type="text/plain")
    return Response(svg, media_type="image/svg+xml", headers=SVG_HEADERS)


def _relationship(form: dict[str, Any]) -> RelationshipCreate:
    other = form.get("other")
    end = "source" if form.get("direction") == "incoming" else "target"
    return RelationshipCreate.model_validate({"kind": form.get("kind"), end: other})


@router.post("/{ref}/relationships", response_class=HTMLResponse)
def relate(request: Request, ref: str, db: Db, actor: WebActor, posted: FormBody) -> Response:
    form = forms.values(posted)
    try:
        data = _relationship(form)
        with db.unit_of_work() as session:
            service.relate(session=session, actor=actor, ref=ref, data=data)
            here = service.get(session=session, actor=actor, ref=ref).id
        return RedirectResponse(f"/cis/{here}?notice=related", status_code=303)
    except (ValidationError, VigilError) as exc:
        return _refused(request, db, actor, ref, form, exc)


@router.post("/{ref}/relationships/{relationship_id}/remove", response_class=HTMLResponse)
def unrelate(
    request: Request, ref: str, relationship_id: uuid.UUID, db: Db, actor: WebActor, posted: FormBody
) -> Response:
    try:
        with db.unit_of_work() as session:
            service.unrelate(session=session, actor=actor, ref=ref, relationship_id=relationship_id)
            here = service.get(session=session, actor=actor, ref=ref).id
        return RedirectResponse(f"/cis/{here}?notice=unrelated", status_code=303)
    except VigilError as exc:
        return _refused(request, db, actor, ref, {}, exc)


def _refused(
    request: Request, db: Db, actor: Actor, ref: str, form: dict[str, Any], exc: ValidationError | VigilError
) -> Response:
    """The CI page again with the refusal beside the relationship form (this CI missing is a 404 page)."""
    if isinstance(exc, VigilError) and exc.status == 403:
        return render_error(request, 403, exc.title, exc.detail)
    status = 422 if isinstance(exc, ValidationError) else exc.status
    errors = validation.form_errors(exc, fields=REL_FIELDS, labels={**LABELS, "other": "Other CI"})
    if isinstance(exc, NotFound) and exc.detail.startswith("configuration item"):
        errors = {"other": validation.form_errors(exc)["form"]}  # the other CI: said beside its field
    return detail_page(request, db, actor, ref, status_code=status, form=form, errors=errors)
