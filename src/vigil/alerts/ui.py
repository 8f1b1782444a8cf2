"""Pages: /alerts (staff: active and recent alerts by integration, with their incident; promote) and
/admin/alert-deliveries (administrators: failed deliveries with their error and a retry button)."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from vigil.alerts import service
from vigil.alerts.models import DeliveryStatus
from vigil.alerts.schemas import AlertFilter, DeliveryFilter
from vigil.alerts.service.records import delivery_read
from vigil.auth.deps import WebActor
from vigil.web.deps import Db
from vigil.web.templating import render

router = APIRouter(include_in_schema=False)


def _filters(request: Request, model: type[Any], keys: tuple[str, ...]) -> tuple[Any, dict[str, str]]:
    raw = {k: v for k, v in request.query_params.items() if k in keys and v}
    try:
        return model.model_validate(raw), raw
    except ValidationError:
        return model(), {}


@router.get("/alerts", response_class=HTMLResponse)
def alerts_page(request: Request, db: Db, actor: WebActor) -> Response:
    filters, raw = _filters(request, AlertFilter, ("integration", "status", "cursor"))
    with db.unit_of_work() as session:
        page = service.records.list_alerts(session=session, actor=actor, filters=filters)
        items = [service.records.to_read(a) for a in page.items]
        names = service.records.integration_names(session=session, actor=actor)
    ctx: dict[str, Any] = {"items": items, "filters": filters, "integrations": names}
    if page.next_cursor:
        ctx["next_url"] = "?" + urlencode({**raw, "cursor": page.next_cursor})
    return render(request, "alerts/list.html", ctx)


@router.post("/alerts/{alert_id}/promote")
def promote(alert_id: uuid.UUID, db: Db, actor: WebActor) -> Response:
    with db.unit_of_work() as session:
        result = service.records.promote(session=session, actor=actor, alert_id=alert_id)
    return RedirectResponse(f"/incidents/{result.incident}", status_code=303)


@router.get("/admin/alert-deliveries", response_class=HTMLResponse)
def deliveries_page(request: Request, db: Db, actor: WebActor) -> Response:
    filters, raw = _filters(request, DeliveryFilter, ("status", "cursor"))
    if "status" not in raw:
        filters.status = DeliveryStatus.FAILED
    with db.unit_of_work() as session:
        page = service.records.list_deliveries(session=session, actor=actor, filters=filters)
        items = [delivery_read(d) for d in page.items]
    ctx: dict[str, Any] = {"items": items, "filters": filters}
    if page.next_cursor:
        ctx["next_url"] = "?" + urlencode({**raw, "cursor": page.next_cursor})
    return render(request, "alerts/deliveries.html", ctx)


@router.post("/admin/alert-deliveries/{delivery_id}/retry")
def retry(delivery_id: uuid.UUID, db: Db, actor: WebActor) -> Response:
    with db.unit_of_work() as session:
        service.records.retry_delivery(session=session, actor=actor, delivery_id=delivery_id)
    return RedirectResponse("/admin/alert-deliveries", status_code=303)
