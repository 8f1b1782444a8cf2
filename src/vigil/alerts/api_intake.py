"""Webhook intake: POST /api/v1/integrations/{alertmanager|grafana|generic}/{name}, authenticated by
the integration's own token or HMAC signature (never a user's token). The answer (202) goes out only
once the raw delivery is committed."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request
from sqlalchemy.exc import SQLAlchemyError

from vigil.alerts import service
from vigil.alerts.models import Kind
from vigil.alerts.schemas import IntakeResult
from vigil.alerts.settings import get_alert_settings
from vigil.core.errors import PayloadTooLarge
from vigil.web import problems
from vigil.web.deps import Db, RequestDatabase

log = logging.getLogger("vigil.alerts")

router = APIRouter(
    prefix="/api/v1/integrations", tags=["alert intake"], responses=problems.responses(404, 413)
)


async def alert_body(request: Request) -> bytes:
    """The raw body, refused with a 413 past the limit (by its declared length, or as it streams in)."""
    limit = get_alert_settings().alert_max_bytes
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise PayloadTooLarge(f"the body is over the {limit:,} byte limit for alert deliveries")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"the body is over the {limit:,} byte limit for alert deliveries")
        chunks.append(chunk)
    return b"".join(chunks)


def _bearer(authorization: str | None) -> str | None:
    scheme, _, value = (authorization or "").partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


Body = Annotated[bytes, Depends(alert_body)]
Authorization = Annotated[str | None, Header(description="Bearer vgla_... (the integration's token)")]
Signature = Annotated[
    str | None, Header(alias="X-Vigil-Signature", description="sha256=<hex HMAC-SHA256 of the body>")
]


def intake(
    db: RequestDatabase, kind: Kind, name: str, body: bytes, token: str | None, signature: str | None
) -> IntakeResult:
    integration_id, count = None, 0
    try:
        with db.unit_of_work() as session:
            integration = service.integrations.authenticate(
                session, kind=kind, name=name, token=token, signature=signature, body=body
            )
            integration_id = integration.id
            alerts = service.intake.parse(integration, body)  # a 422 here: nothing was written
            count = len(alerts)
            delivery, done = service.intake.receive(session, integration, body, alerts)
            answer = _answer(delivery.id, count, delivery.status, done.incidents)
        return answer
    except SQLAlchemyError as exc:  # the commit itself failed: keep the delivery for the worker
        if integration_id is None or not count:
            raise
        log.warning("alert delivery to %s could not be committed: %s", name, type(exc).__name__)
        with db.unit_of_work() as session:
            delivery = service.intake.keep_failed(session, integration_id, body, count, exc)
            return _answer(delivery.id, count, delivery.status, [])


def _answer(delivery_id: object, count: int, status: str, incidents: list[str]) -> IntakeResult:
    return IntakeResult(
        delivery=delivery_id,
        alerts=count,
        status="processed" if status == "processed" else "queued",
        incidents=incidents,
    )


@router.post("/alertmanager/{name}", status_code=202, response_model=IntakeResult)
def alertmanager_webhook(
    db: Db, name: str, body: Body, authorization: Authorization = None, signature: Signature = None
) -> IntakeResult:
    """Alertmanager's webhook (payload version 4), with `http_config.authorization` set to the token."""
    return intake(db, Kind.ALERTMANAGER, name, body, _bearer(authorization), signature)


@router.post("/grafana/{name}", status_code=202, response_model=IntakeResult)
def grafana_webhook(
    db: Db, name: str, body: Body, authorization: Authorization = None, signature: Signature = None
) -> IntakeResult:
    """A Grafana alerting webhook contact point."""
    return intake(db, Kind.GRAFANA, name, body, _bearer(authorization), signature)


@router.post("/generic/{name}", status_code=202, response_model=IntakeResult)
def generic_webhook(
    db: Db, name: str, body: Body, authorization: Authorization = None, signature: Signature = None
) -> IntakeResult:
    """The generic JSON webhook: `{"alerts": [{"title": ..., "status": "firing"|"resolved", ...}]}`."""
    return intake(db, Kind.GENERIC, name, body, _bearer(authorization), signature)
