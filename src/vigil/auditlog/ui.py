"""The administrators' audit page: filter and page through the trail, export it, see the chain's state."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from pydantic import ValidationError

from vigil.auditlog import policy, service
from vigil.auditlog.api import csv_response
from vigil.auditlog.schemas import AuditFilter
from vigil.auth.deps import WebActor
from vigil.core import validation
from vigil.core.actor import Channel
from vigil.core.errors import Invalid
from vigil.web.deps import Db
from vigil.web.templating import render

router = APIRouter(prefix="/admin/audit", include_in_schema=False)


def _filter_from_query(request: Request) -> tuple[dict[str, str], AuditFilter | None, dict[str, str]]:
    raw = {k: v.strip() for k, v in request.query_params.items() if v.strip() and k != "verify"}
    try:
        return raw, AuditFilter.model_validate(raw), {}
    except ValidationError as exc:
        return raw, None, validation.first_per_field(exc)


@router.get("", response_class=HTMLResponse)
def audit_page(request: Request, db: Db, actor: WebActor) -> Response:
    raw, filters, errors = _filter_from_query(request)
    with db.unit_of_work() as session:
        # Walking the whole chain costs time proportional to its length: only on request.
        chain = service.verify(session=session, actor=actor) if request.query_params.get("verify") else None
        ctx: dict[str, Any] = {"raw": raw, "errors": errors, "chain": chain, "items": []}
        if chain is not None and chain.problem is not None:  # the records around the break, newest first
            ctx["problem_url"] = "?" + urlencode({"cursor": service.cursor_from(session, chain.problem.seq)})
        if chain is None:
            policy.require(actor, "audit.read")  # the page is for administrators, filters valid or not
        if filters is not None:
            try:
                page = service.search(session=session, actor=actor, filters=filters)
            except Invalid as exc:
                ctx["errors"] = {str(exc.extra.get("field", "form")): exc.detail}
            else:
                ctx["items"] = [service.to_read(r) for r in page.items]
                if page.next_cursor:
                    ctx["next_url"] = "?" + urlencode({**raw, "cursor": page.next_cursor})

    selection = {k: v for k, v in raw.items() if k not in ("cursor", "limit")}
    ctx["export_url"] = "/admin/audit/export.csv" + ("?" + urlencode(selection) if selection else "")
    ctx["verify_url"] = "?" + urlencode({**raw, "verify": "1"})
    ctx["channels"] = list(Channel)
    return render(request, "auditlog/list.html", ctx, status_code=422 if ctx["errors"] else 200)


@router.get("/export.csv")
def export(db: Db, actor: WebActor, filters: Annotated[AuditFilter, Query()]) -> StreamingResponse:
    return csv_response(db, actor, filters)
