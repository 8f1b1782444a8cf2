"""Pydantic shapes of alert intake: integrations, alerts, deliveries, intake answers and dry runs."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from vigil.alerts.mapping import Rules
from vigil.alerts.models import AlertStatus, DeliveryStatus, Kind, Recovery
from vigil.core.schemas import Collection, UtcTime
from vigil.incidents.priority import Priority

IntegrationName = Annotated[
    str, StringConstraints(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
]
Secret = Annotated[str, StringConstraints(min_length=16, max_length=200, pattern=r"^[\x21-\x7e]+$")]


class IntegrationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: IntegrationName
    kind: Kind
    recovery: Recovery = Recovery.RESOLVE
    rules: Rules = Field(default_factory=Rules)
    hmac_secret: Secret | None = Field(
        default=None,
        description="Enables `X-Vigil-Signature: sha256=<hex HMAC of the body>` instead of the token.",
    )
    requester: str | None = Field(
        default=None, description="Requester of its incidents (email); default: you."
    )


class IntegrationUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    recovery: Recovery | None = None
    rules: Rules | None = None
    hmac_secret: Secret | None = None
    active: bool | None = None


class IntegrationRead(BaseModel):
    id: uuid.UUID
    name: str
    kind: Kind
    recovery: Recovery
    rules: Rules
    hmac: bool = Field(description="Whether an HMAC secret is set.")
    active: bool
    url: str = Field(description="Where the monitoring system posts (relative to Vigil's base URL).")
    created_at: UtcTime
    updated_at: UtcTime


class IntegrationCreated(IntegrationRead):
    token: str = Field(description="The integration's bearer token (vgla_...), shown only now.")


class IntegrationList(BaseModel):
    items: list[IntegrationRead]


class IntakeResult(BaseModel):
    delivery: uuid.UUID
    alerts: int
    status: Literal["processed", "queued"]
    incidents: list[str] = Field(default_factory=list)


class AlertRead(BaseModel):
    id: uuid.UUID
    integration: str
    fingerprint: str
    status: AlertStatus
    priority: Priority
    labels: dict[str, Any]
    annotations: dict[str, Any]
    starts_at: UtcTime | None
    ends_at: UtcTime | None
    generator_url: str
    count: int
    first_seen_at: UtcTime
    last_seen_at: UtcTime
    group_id: uuid.UUID
    group_status: AlertStatus
    incident: str | None = Field(description="The incident number of its group, if any.")


class AlertFilter(BaseModel):
    """One filter for the API's query, the alerts page's form and `vigil alerts list`."""

    model_config = ConfigDict(extra="forbid")

    integration: IntegrationName | None = None
    status: AlertStatus | None = None
    cursor: Annotated[str, StringConstraints(max_length=500)] | None = None
    limit: int = Field(default=50, ge=1, le=200)


AlertPage = Collection[AlertRead]


class DeliveryRead(BaseModel):
    id: uuid.UUID
    integration: str
    received_at: UtcTime
    status: DeliveryStatus
    alerts: int
    attempts: int
    error: str | None
    processed_at: UtcTime | None


class DeliveryFilter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: DeliveryStatus | None = None
    cursor: Annotated[str, StringConstraints(max_length=500)] | None = None
    limit: int = Field(default=50, ge=1, le=200)


DeliveryPage = Collection[DeliveryRead]


class DryRunAlert(BaseModel):
    fingerprint: str
    group_key: str
    status: AlertStatus
    priority: Priority
    severity: str
    opens_incident: bool
    title: str
    description: str
    category: str
    team: str | None
    affected_cis: list[str] = Field(description="The CMDB names of the CIs the labels found.")
    runbook_url: str


class DryRunResult(BaseModel):
    alerts: list[DryRunAlert]


class PromoteResult(BaseModel):
    alert: AlertRead
    incident: str
    created: bool


__all__ = ["datetime"]
