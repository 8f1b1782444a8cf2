"""Reading alerts and deliveries, promoting a stored alert group to an incident, retrying a delivery."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from vigil.alerts import mapping, policy
from vigil.alerts.models import Alert, AlertDelivery, AlertGroup, DeliveryStatus, Integration
from vigil.alerts.payloads import Incoming
from vigil.alerts.schemas import AlertFilter, AlertRead, DeliveryFilter, DeliveryRead, PromoteResult
from vigil.alerts.service import groups, intake
from vigil.alerts.service import incidents as bridge
from vigil.core.actor import Actor
from vigil.core.errors import Conflict, NotFound
from vigil.core.pagination import Page, page

ALERT_LOAD = (
    joinedload(Alert.integration),
    joinedload(Alert.group).joinedload(AlertGroup.incident),
)


def to_read(alert: Alert) -> AlertRead:
    incident = alert.group.incident
    return AlertRead(
        id=alert.id,
        integration=alert.integration.name,
        fingerprint=alert.fingerprint,
        status=alert.status,
        priority=alert.priority,
        labels=alert.labels,
        annotations=alert.annotations,
        starts_at=alert.starts_at,
        ends_at=alert.ends_at,
        generator_url=alert.generator_url,
        count=alert.count,
        first_seen_at=alert.first_seen_at,
        last_seen_at=alert.last_seen_at,
        group_id=alert.group_id,
        group_status=alert.group.status,
        incident=incident.number if incident is not None else None,
    )


def list_alerts(*, session: Session, actor: Actor, filters: AlertFilter) -> Page[Alert]:
    """Alerts, most recently seen first; `integration` and `status` narrow it."""
    policy.require(actor, "alert.read")
    stmt = select(Alert).where(policy.visible(actor)).options(*ALERT_LOAD)
    if filters.integration:
        integration_id = session.scalar(select(Integration.id).where(Integration.name == filters.integration))
        stmt = stmt.where(Alert.integration_id == integration_id)
    if filters.status:
        stmt = stmt.where(Alert.status == filters.status)
    return page(
        session,
        stmt,
        column=Alert.last_seen_at,
        id_column=Alert.id,
        sort="-last_seen_at",
        cursor=filters.cursor,
        limit=filters.limit,
        descending=True,
    )


def get_alert(*, session: Session, actor: Actor, alert_id: uuid.UUID) -> Alert:
    policy.require(actor, "alert.read")
    found = session.scalars(
        select(Alert).where(Alert.id == alert_id, policy.visible(actor)).options(*ALERT_LOAD)
    ).one_or_none()
    if found is None:
        raise NotFound(f"alert {alert_id} not found")
    return found


def _incoming(alert: Alert) -> Incoming:
    return Incoming(
        fingerprint=alert.fingerprint,
        group_key=alert.group.label,
        status=alert.status,
        labels=alert.labels,
        annotations=alert.annotations,
        starts_at=alert.starts_at,
        ends_at=alert.ends_at,
        generator_url=alert.generator_url,
    )


def promote(*, session: Session, actor: Actor, alert_id: uuid.UUID) -> PromoteResult:
    """Open an incident for a stored (lower priority) alert's group, as the acting agent. The group is
    locked, so two agents promoting it at once make one incident; a group with one already is a 409."""
    alert = get_alert(session=session, actor=actor, alert_id=alert_id)
    policy.require(actor, "alert.promote")
    lock = select(AlertGroup).where(AlertGroup.id == alert.group_id)
    if session.get_bind().dialect.name == "postgresql":
        lock = lock.with_for_update()
    group = session.scalars(lock.execution_options(populate_existing=True)).one()
    if group.incident is not None:
        raise Conflict(f"its alert group already has incident {group.incident.number}")
    integration = alert.integration
    rules = mapping.Rules.model_validate(integration.rules)
    incoming = _incoming(alert)
    incident = bridge.open_incident(session, integration, incoming, mapping.apply(rules, incoming), actor)
    groups.link_incident(session, group.id, incident.id)
    session.flush()
    session.expire(group)
    session.refresh(alert)
    return PromoteResult(alert=to_read(alert), incident=incident.number, created=True)


def delivery_read(delivery: AlertDelivery) -> DeliveryRead:
    return DeliveryRead(
        id=delivery.id,
        integration=delivery.integration.name,
        received_at=delivery.received_at,
        status=delivery.status,
        alerts=delivery.alert_count,
        attempts=delivery.attempts,
        error=delivery.error,
        processed_at=delivery.processed_at,
    )


def list_deliveries(*, session: Session, actor: Actor, filters: DeliveryFilter) -> Page[AlertDelivery]:
    """Deliveries, newest first (`status=failed`: those waiting for a retry or an administrator)."""
    policy.require(actor, "delivery.manage")
    stmt = select(AlertDelivery)
    if filters.status:
        stmt = stmt.where(AlertDelivery.status == filters.status)
    return page(
        session,
        stmt,
        column=AlertDelivery.received_at,
        id_column=AlertDelivery.id,
        sort="-received_at",
        cursor=filters.cursor,
        limit=filters.limit,
        descending=True,
    )


def retry_delivery(*, session: Session, actor: Actor, delivery_id: uuid.UUID) -> AlertDelivery:
    """Process a failed delivery again now; a processed one is a 409."""
    policy.require(actor, "delivery.manage")
    current = session.scalar(select(AlertDelivery.status).where(AlertDelivery.id == delivery_id))
    if current is None:
        raise NotFound(f"alert delivery {delivery_id} not found")
    if current == DeliveryStatus.PROCESSED:
        raise Conflict(f"alert delivery {delivery_id} is already processed")
    delivery = intake.reprocess(session, delivery_id)
    assert delivery is not None
    return delivery


def integration_names(*, session: Session, actor: Actor) -> list[str]:
    """The integrations' names, for the alerts page's filter (staff)."""
    policy.require(actor, "alert.read")
    return list(session.scalars(select(Integration.name).order_by(Integration.name)))
