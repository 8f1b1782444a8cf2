"""Intake: a webhook delivery is stored and processed in one transaction; when processing fails the
raw delivery is still stored, marked failed with its error and retried by the worker (never dropped).

Each processed alert's result (created, attached, resolved, stored, rejected, failed) passes through
`report()`: the one place a metric or log line for intake belongs.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from vigil.alerts import mapping, payloads
from vigil.alerts.models import AlertDelivery, AlertStatus, DeliveryStatus, Integration
from vigil.alerts.payloads import Incoming
from vigil.alerts.schemas import DryRunAlert, DryRunResult
from vigil.alerts.service import groups
from vigil.alerts.service import incidents as bridge
from vigil.core import clock, metrics
from vigil.core.errors import Invalid
from vigil.core.jobs import queue

log = logging.getLogger("vigil.alerts")

RESULTS = ("created", "attached", "resolved", "stored", "rejected", "failed")
RETRY_JOB = "alerts.process_delivery"
#: Retries of a failed delivery by the worker before it waits for an administrator (backoff doubles).
MAX_ATTEMPTS = 6
FIRST_BACKOFF = timedelta(seconds=30)

#: Called with (integration name, result) for every alert processed; the metrics module hooks in here.
observers: list[Callable[[str, str], None]] = []


def report(integration: str, results: list[str], session: Session | None = None) -> None:
    """Every alert's result passes here once: counted in `itsm_alert_intake_total` (once `session`
    commits, when there is one: a delivery rolled back was not received) and told to `observers`."""

    def count() -> None:
        for result in results:
            metrics.alert_intake(integration, result)
            for observe in observers:
                observe(integration, result)

    if session is None:
        count()
    else:
        metrics.after_commit(session, count)


def parse(integration: Integration, body: bytes) -> list[Incoming]:
    """The alerts of a delivery's body; a malformed one is reported `rejected` and raised (a 422)."""
    try:
        return payloads.parse(integration.kind, body)
    except Invalid:
        report(integration.name, ["rejected"])
        raise


@dataclass
class Processed:
    results: list[str] = field(default_factory=list)
    incidents: list[str] = field(default_factory=list)


def _unique(alerts: list[Incoming]) -> list[Incoming]:
    """One alert per fingerprint (the last one sent wins): a batch updates each row once."""
    return list({a.fingerprint: a for a in alerts}.values())


def process(session: Session, integration: Integration, alerts: list[Incoming]) -> Processed:
    """Dedup the alerts into groups, open incidents for new groups that warrant one, note joiners and
    recoveries. Flushes; the caller commits."""
    rules = mapping.Rules.model_validate(integration.rules)
    now = clock.now()
    items = [groups.Item(alert=a, mapped=mapping.apply(rules, a)) for a in _unique(alerts)]
    touched = groups.claim_groups(session, integration.id, items, now)
    groups.upsert_alerts(session, integration.id, items, now)
    done = Processed()
    results: dict[int, str] = {}
    for group in touched.values():
        _settle_group(session, integration, rules, group, results, done)
    resolving = [
        g.id for g in touched.values() if any(i.alert.status == AlertStatus.RESOLVED for i in g.items)
    ]
    for _gid, incident_id in groups.recovered(session, resolving, now):
        if incident_id is not None:
            bridge.recover(session, integration, incident_id)
    done.results = [results[id(i)] for i in items]
    done.incidents = sorted(set(done.incidents))
    session.flush()
    return done


def _settle_group(
    session: Session,
    integration: Integration,
    rules: mapping.Rules,
    group: groups.Touched,
    results: dict[int, str],
    done: Processed,
) -> None:
    firing = [i for i in group.items if i.alert.status == AlertStatus.FIRING]
    for item in group.items:
        results[id(item)] = "resolved" if item.alert.status == AlertStatus.RESOLVED else "stored"
    if group.created and firing and group.incident_id is None:
        lead = min(firing, key=lambda i: int(i.mapped.priority.value[1]))
        if lead.mapped.opens_incident(rules):
            incident = bridge.open_incident(session, integration, lead.alert, lead.mapped)
            groups.link_incident(session, group.id, incident.id)
            group.incident_id, group.incident_number = incident.id, incident.number
            results[id(lead)] = "created"
    elif group.incident_id is not None:
        joined = [i.mapped.title for i in firing if i.first_in_group]
        if joined:
            bridge.note_joined(session, integration, group.incident_id, joined)
    if group.incident_id is not None:
        for item in firing:
            if results[id(item)] == "stored":
                results[id(item)] = "attached"
        if group.incident_number is not None:
            done.incidents.append(group.incident_number)


def receive(
    session: Session, integration: Integration, body: bytes, alerts: list[Incoming]
) -> tuple[AlertDelivery, Processed]:
    """Store a delivery whose body parsed, processing it in a savepoint: if processing fails the
    delivery is kept as failed with its error and a retry job, in the same transaction."""
    delivery = AlertDelivery(
        id=uuid.uuid4(),
        integration_id=integration.id,
        received_at=clock.now(),
        body=body.decode("utf-8"),
        alert_count=len(alerts),
    )
    done = _attempt(session, integration, delivery, alerts)
    # One Core INSERT: the delivery is never changed again in this transaction (the worker's retry
    # loads it), so the unit of work has nothing to track.
    table: Any = AlertDelivery.__table__
    session.connection().execute(insert(table), {c.key: getattr(delivery, c.key) for c in table.columns})
    report(integration.name, done.results, session)
    return delivery, done


def _attempt(
    session: Session, integration: Integration, delivery: AlertDelivery, alerts: list[Incoming]
) -> Processed:
    delivery.attempts = (delivery.attempts or 0) + 1
    try:
        with session.begin_nested():
            done = process(session, integration, alerts)
    except Exception as exc:  # kept, marked and retried: an acknowledged alert is never lost
        log.warning("alert delivery %s of %s failed: %s", delivery.id, integration.name, exc)
        delivery.status = DeliveryStatus.FAILED
        delivery.error = describe(exc)
        if delivery.attempts < MAX_ATTEMPTS:
            backoff = FIRST_BACKOFF * (2 ** (delivery.attempts - 1))
            queue.enqueue(session, RETRY_JOB, {"delivery_id": str(delivery.id)}, run_at=clock.now() + backoff)
        return Processed(results=["failed"] * len(alerts))
    delivery.status = DeliveryStatus.PROCESSED
    delivery.error = None
    delivery.processed_at = clock.now()
    return done


def describe(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= 2000 else text[:2000] + "..."


def reprocess(session: Session, delivery_id: uuid.UUID) -> AlertDelivery | None:
    """Process a stored delivery again (the worker's retry, or an administrator's); idempotent: a
    processed delivery is left alone. The row is locked, so two retries never run it twice."""
    stmt = select(AlertDelivery).where(AlertDelivery.id == delivery_id)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=AlertDelivery)
    delivery = session.scalars(stmt).one_or_none()
    if delivery is None or delivery.status == DeliveryStatus.PROCESSED:
        return delivery
    integration = delivery.integration
    alerts = payloads.parse(integration.kind, delivery.body.encode("utf-8"))
    done = _attempt(session, integration, delivery, alerts)
    session.flush()
    report(integration.name, done.results, session)
    return delivery


def dry_run_document(session: Session, integration: Integration, document: object) -> DryRunResult:
    """What each alert of an example payload (a parsed JSON document) would produce; nothing written."""
    return dry_run(session, integration, json.dumps(document).encode())


def dry_run(session: Session, integration: Integration, body: bytes) -> DryRunResult:
    """What each alert of an example body would produce, with nothing written."""
    rules = mapping.Rules.model_validate(integration.rules)
    out = []
    for alert in payloads.parse(integration.kind, body):
        mapped = mapping.apply(rules, alert)
        data = bridge.incident_data(session, integration, alert, mapped)
        cis = bridge.find_cis(session, rules, mapped.ci_names)
        out.append(
            DryRunAlert(
                fingerprint=alert.fingerprint,
                group_key=alert.group_key,
                status=AlertStatus(alert.status),
                priority=mapped.priority,
                severity=mapped.severity,
                opens_incident=mapped.opens_incident(rules) and alert.status == AlertStatus.FIRING,
                title=mapped.title,
                description=data.description,
                category=data.category,
                team=data.assignment_group,
                affected_cis=[c.name for c in cis],
                runbook_url=mapped.runbook_url,
            )
        )
    return DryRunResult(alerts=out)


__all__ = ["datetime"]


def keep_failed(
    session: Session, integration_id: uuid.UUID, body: bytes, count: int, exc: BaseException
) -> AlertDelivery:
    """Store a delivery whose processing could not even be committed, failed, with a retry job."""
    delivery = AlertDelivery(
        id=uuid.uuid4(),
        integration_id=integration_id,
        received_at=clock.now(),
        body=body.decode("utf-8"),
        alert_count=count,
        attempts=1,
        status=DeliveryStatus.FAILED,
        error=describe(exc),
    )
    session.add(delivery)
    queue.enqueue(session, RETRY_JOB, {"delivery_id": str(delivery.id)}, run_at=clock.now() + FIRST_BACKOFF)
    session.flush()
    return delivery
