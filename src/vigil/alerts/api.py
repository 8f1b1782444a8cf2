"""REST endpoints: integrations (administrators), alerts (staff), deliveries (administrators)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query

from vigil.alerts import service
from vigil.alerts.schemas import (
    AlertFilter,
    AlertPage,
    AlertRead,
    DeliveryFilter,
    DeliveryPage,
    DeliveryRead,
    DryRunResult,
    IntegrationCreate,
    IntegrationCreated,
    IntegrationList,
    IntegrationRead,
    IntegrationUpdate,
    PromoteResult,
)
from vigil.alerts.service.integrations import to_read
from vigil.alerts.service.records import delivery_read
from vigil.auth.deps import ApiActor
from vigil.web import problems
from vigil.web.deps import Db

router = APIRouter(prefix="/api/v1/integrations", tags=["integrations"], responses=problems.responses(404))
alerts_router = APIRouter(prefix="/api/v1", tags=["alerts"], responses=problems.responses(404))


@router.get("", response_model=IntegrationList)
def list_integrations(db: Db, actor: ApiActor) -> IntegrationList:
    with db.unit_of_work() as session:
        found = service.integrations.list_integrations(session=session, actor=actor)
        return IntegrationList(items=[to_read(i) for i in found])


@router.post("", status_code=201, response_model=IntegrationCreated, responses=problems.responses(409))
def create_integration(db: Db, actor: ApiActor, data: IntegrationCreate) -> IntegrationCreated:
    """A new integration; its token is in this answer only."""
    with db.unit_of_work() as session:
        return service.integrations.create(session=session, actor=actor, data=data)


@router.get("/{name}", response_model=IntegrationRead)
def get_integration(db: Db, actor: ApiActor, name: str) -> IntegrationRead:
    with db.unit_of_work() as session:
        return to_read(service.integrations.get(session=session, actor=actor, name=name))


@router.patch("/{name}", response_model=IntegrationRead)
def update_integration(db: Db, actor: ApiActor, name: str, data: IntegrationUpdate) -> IntegrationRead:
    with db.unit_of_work() as session:
        return to_read(service.integrations.update(session=session, actor=actor, name=name, data=data))


@router.post("/{name}/rotate-token", response_model=IntegrationCreated)
def rotate_integration_token(db: Db, actor: ApiActor, name: str) -> IntegrationCreated:
    """A new token; the old one stops working at once."""
    with db.unit_of_work() as session:
        return service.integrations.rotate_token(session=session, actor=actor, name=name)


@router.post("/{name}/dry-run", response_model=DryRunResult)
def dry_run_integration(
    db: Db, actor: ApiActor, name: str, payload: Annotated[dict[str, Any], Body()]
) -> DryRunResult:
    """What each alert of an example payload would produce (priority, incident or not, CI...); nothing
    is written."""
    with db.unit_of_work() as session:
        integration = service.integrations.get(session=session, actor=actor, name=name)
        return service.intake.dry_run_document(session, integration, payload)


@alerts_router.get("/alerts", response_model=AlertPage)
def list_alerts(db: Db, actor: ApiActor, filters: Annotated[AlertFilter, Query()]) -> AlertPage:
    """Alerts, most recently seen first, with their group's incident."""
    with db.unit_of_work() as session:
        found = service.records.list_alerts(session=session, actor=actor, filters=filters)
        return AlertPage(
            items=[service.records.to_read(a) for a in found.items], next_cursor=found.next_cursor
        )


@alerts_router.get("/alerts/{alert_id}", response_model=AlertRead)
def get_alert(db: Db, actor: ApiActor, alert_id: uuid.UUID) -> AlertRead:
    with db.unit_of_work() as session:
        return service.records.to_read(
            service.records.get_alert(session=session, actor=actor, alert_id=alert_id)
        )


@alerts_router.post(
    "/alerts/{alert_id}/promote", response_model=PromoteResult, responses=problems.responses(409)
)
def promote_alert(db: Db, actor: ApiActor, alert_id: uuid.UUID) -> PromoteResult:
    """Open an incident for a stored alert's group (one below the priority that opens them itself)."""
    with db.unit_of_work() as session:
        return service.records.promote(session=session, actor=actor, alert_id=alert_id)


@alerts_router.get("/alert-deliveries", response_model=DeliveryPage)
def list_alert_deliveries(
    db: Db, actor: ApiActor, filters: Annotated[DeliveryFilter, Query()]
) -> DeliveryPage:
    with db.unit_of_work() as session:
        found = service.records.list_deliveries(session=session, actor=actor, filters=filters)
        return DeliveryPage(items=[delivery_read(d) for d in found.items], next_cursor=found.next_cursor)


@alerts_router.post(
    "/alert-deliveries/{delivery_id}/retry", response_model=DeliveryRead, responses=problems.responses(409)
)
def retry_alert_delivery(db: Db, actor: ApiActor, delivery_id: uuid.UUID) -> DeliveryRead:
    """Process a failed delivery again now."""
    with db.unit_of_work() as session:
        return delivery_read(
            service.records.retry_delivery(session=session, actor=actor, delivery_id=delivery_id)
        )
