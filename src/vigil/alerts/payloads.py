"""Webhook bodies (Alertmanager v4, Grafana alerting, generic JSON) read into one shape, `Incoming`.

Pure: nothing here touches the database. A body that does not fit is an `Invalid` naming each field at
fault (`alerts.0.labels`), raised before anything is stored.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from vigil.alerts.models import Kind
from vigil.core.errors import Invalid

#: Most alerts one delivery may carry (Alertmanager sends a whole group at once).
MAX_ALERTS = 1000
Text = Annotated[str, StringConstraints(max_length=10_000)]
Labels = dict[Annotated[str, StringConstraints(min_length=1, max_length=200)], Text]


@dataclass(frozen=True)
class Incoming:
    """One alert as every source gives it."""

    fingerprint: str
    group_key: str
    status: str
    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    generator_url: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore")


class AmAlert(_Loose):
    status: Literal["firing", "resolved"]
    labels: Labels
    annotations: Labels = Field(default_factory=dict)
    startsAt: datetime | None = None
    endsAt: datetime | None = None
    generatorURL: Text = ""
    fingerprint: Annotated[str, StringConstraints(max_length=64)] | None = None


class AmPayload(_Loose):
    """Alertmanager's webhook body (version 4); Grafana's is a superset of it."""

    version: str | None = None
    groupKey: Annotated[str, StringConstraints(max_length=10_000)] | None = None
    status: Literal["firing", "resolved"] | None = None
    receiver: Text = ""
    commonLabels: Labels = Field(default_factory=dict)
    alerts: list[AmAlert] = Field(min_length=1, max_length=MAX_ALERTS)


class GenericAlert(_Loose):
    """The generic webhook's minimal alert: a title; everything else optional (docs/alerts.md)."""

    title: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    status: Literal["firing", "resolved"] = "firing"
    severity: Annotated[str, StringConstraints(max_length=40)] | None = None
    description: Text = ""
    labels: Labels = Field(default_factory=dict)
    annotations: Labels = Field(default_factory=dict)
    fingerprint: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    group: Annotated[str, StringConstraints(min_length=1, max_length=500)] | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    url: Text = ""


class GenericPayload(_Loose):
    alerts: list[GenericAlert] = Field(min_length=1, max_length=MAX_ALERTS)


def _errors(exc: ValidationError) -> Invalid:
    errors = [
        {"field": ".".join(str(p) for p in e["loc"]) or "body", "message": e["msg"]} for e in exc.errors()
    ]
    first = errors[0]
    return Invalid(f"{first['field']}: {first['message']}", errors=errors)


def decode(body: bytes) -> Any:
    """The JSON document of a body, or an Invalid saying where it breaks."""
    try:
        return json.loads(body)
    except UnicodeDecodeError as exc:
        raise Invalid("body: not UTF-8 text", field="body") from exc
    except json.JSONDecodeError as exc:
        raise Invalid(
            f"body: not JSON ({exc.msg} at line {exc.lineno} column {exc.colno})", field="body"
        ) from exc


def _time(value: datetime | None) -> datetime | None:
    """Alertmanager sends endsAt 0001-01-01 for "not ended"; naive times are taken as UTC."""
    if value is None or value.year < 1971:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def fingerprint_of(labels: dict[str, str]) -> str:
    """A stable fingerprint from the labels, for sources that send none."""
    canonical = json.dumps(sorted(labels.items()), separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _alertmanager(document: Any) -> list[Incoming]:
    try:
        payload = AmPayload.model_validate(document)
    except ValidationError as exc:
        raise _errors(exc) from exc
    out = []
    for a in payload.alerts:
        labels = {**payload.commonLabels, **a.labels}
        fp = a.fingerprint or fingerprint_of(labels)
        out.append(
            Incoming(
                fingerprint=fp,
                group_key=payload.groupKey or fp,
                status=a.status,
                labels=labels,
                annotations=dict(a.annotations),
                starts_at=_time(a.startsAt),
                ends_at=_time(a.endsAt),
                generator_url=a.generatorURL,
            )
        )
    return out


def _generic(document: Any) -> list[Incoming]:
    try:
        payload = GenericPayload.model_validate(document)
    except ValidationError as exc:
        raise _errors(exc) from exc
    out = []
    for a in payload.alerts:
        labels = dict(a.labels)
        if a.severity:
            labels.setdefault("severity", a.severity)
        annotations = {"summary": a.title, **a.annotations}
        if a.description:
            annotations.setdefault("description", a.description)
        fp = a.fingerprint or fingerprint_of({**labels, "__title__": a.title})
        out.append(
            Incoming(
                fingerprint=fp,
                group_key=a.group or fp,
                status=a.status,
                labels=labels,
                annotations=annotations,
                starts_at=_time(a.started_at),
                ends_at=_time(a.ended_at),
                generator_url=a.url,
            )
        )
    return out


def parse(kind: str, body: bytes) -> list[Incoming]:
    """Every alert of a webhook body of `kind`; Invalid (a 422) naming the field when it does not fit."""
    document = decode(body)
    if not isinstance(document, dict):
        raise Invalid("body: a JSON object is required", field="body")
    if kind == Kind.GENERIC:
        return _generic(document)
    return _alertmanager(document)  # Grafana's unified alerting posts Alertmanager's shape
