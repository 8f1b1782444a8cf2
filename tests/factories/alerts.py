"""Integrations and webhook bodies for tests (Alertmanager v4, Grafana, generic)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import Session

from vigil.alerts import service
from vigil.alerts.mapping import Rules
from vigil.alerts.models import Integration
from vigil.alerts.schemas import IntegrationCreate
from vigil.core.actor import Actor


def make_integration(
    session: Session, admin: Actor, name: str = "prod-am", kind: str = "alertmanager", **kw: Any
) -> tuple[Integration, str]:
    """An integration and its raw token."""
    rules = kw.pop("rules", None)
    data = IntegrationCreate(name=name, kind=kind, rules=Rules(**(rules or {})), **kw)  # type: ignore[arg-type]
    created = service.integrations.create(session=session, actor=admin, data=data)
    return service.integrations.load(session, name), created.token


def am_alert(
    name: str = "HostDown",
    *,
    status: str = "firing",
    severity: str = "critical",
    fingerprint: str | None = None,
    **labels: str,
) -> dict[str, Any]:
    return {
        "status": status,
        "labels": {"alertname": name, "severity": severity, **labels},
        "annotations": {
            "summary": f"{name} on {labels.get('instance', 'somewhere')}",
            "runbook_url": "https://runbooks.example/host-down",
        },
        "startsAt": "2026-12-07T10:00:00.000Z",
        "endsAt": "0001-01-01T00:00:00Z" if status == "firing" else "2026-12-07T10:30:00.000Z",
        "generatorURL": "http://prometheus.example/graph?g0.expr=up%3D%3D0",
        "fingerprint": fingerprint or f"fp-{name}-{sorted(labels.items())}"[:60],
    }


def am_payload(*alerts: dict[str, Any], group_key: str = '{}:{alertname="HostDown"}') -> dict[str, Any]:
    """Alertmanager's webhook body, version 4."""
    statuses = {a["status"] for a in alerts}
    return {
        "version": "4",
        "groupKey": group_key,
        "truncatedAlerts": 0,
        "status": "firing" if "firing" in statuses else "resolved",
        "receiver": "vigil",
        "groupLabels": {},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.example:9093",
        "alerts": list(alerts),
    }


def body(document: Any) -> bytes:
    return json.dumps(document).encode()
