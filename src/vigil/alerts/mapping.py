"""Mapping rules: what an alert's labels and annotations become on an incident (priority, category,
team, affected CI, title, description, runbook). Pure; the service resolves names against the records."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from vigil.alerts.payloads import Incoming
from vigil.core.schemas import ShortText
from vigil.incidents.priority import Priority

#: Severity words -> priority: the action plan's SEV1-SEV4, P1-P4 and the usual Prometheus words.
SEVERITIES: dict[str, Priority] = {
    "sev1": Priority.P1, "sev-1": Priority.P1, "p1": Priority.P1, "critical": Priority.P1,
    "disaster": Priority.P1, "page": Priority.P1, "emergency": Priority.P1,
    "sev2": Priority.P2, "sev-2": Priority.P2, "p2": Priority.P2, "high": Priority.P2,
    "error": Priority.P2, "major": Priority.P2,
    "sev3": Priority.P3, "sev-3": Priority.P3, "p3": Priority.P3, "warning": Priority.P3,
    "warn": Priority.P3, "medium": Priority.P3, "minor": Priority.P3, "average": Priority.P3,
    "sev4": Priority.P4, "sev-4": Priority.P4, "p4": Priority.P4, "info": Priority.P4,
    "low": Priority.P4, "none": Priority.P4, "informational": Priority.P4,
}  # fmt: skip
Name = ShortText


class Rules(BaseModel):
    """One integration's mapping rules; every field has a default, so `{}` is a working set."""

    model_config = ConfigDict(extra="forbid")

    severity_label: Name = "severity"
    severities: dict[Name, Priority] = Field(
        default_factory=dict, description="More severity words -> priority (over the built-in ones)."
    )
    default_priority: Priority = Priority.P3
    create_up_to: Priority = Field(
        default=Priority.P2, description="Alerts of this priority or higher open incidents (SPEC-060)."
    )
    category_label: Name = "category"
    default_category: Name = "Other"
    team_label: Name = "team"
    ci_labels: list[Name] = Field(
        default_factory=lambda: ["ci", "device", "host", "instance", "nodename", "service"], max_length=20
    )
    ci_external_source: Name | None = Field(
        default="netbox", description="A CMDB external-id source the CI labels are also looked up in."
    )
    title_annotation: Name = "summary"
    description_annotation: Name = "description"
    runbook_annotation: Name = "runbook_url"


@dataclass(frozen=True)
class Mapped:
    priority: Priority
    severity: str
    title: str
    description: str
    category: str
    team: str | None
    ci_names: tuple[str, ...]
    runbook_url: str

    def opens_incident(self, rules: Rules) -> bool:
        return int(self.priority.value[1]) <= int(rules.create_up_to.value[1])


def priority_of(rules: Rules, severity: str) -> Priority:
    words = {**SEVERITIES, **{k.lower(): v for k, v in rules.severities.items()}}
    return words.get(severity.strip().lower(), rules.default_priority)


def _ci_names(rules: Rules, labels: dict[str, str]) -> tuple[str, ...]:
    names: list[str] = []
    for label in rules.ci_labels:
        value = labels.get(label, "").strip()
        if not value:
            continue
        names.append(value)
        host = value.rsplit(":", 1)[0] if value.rsplit(":", 1)[-1].isdigit() else value
        if host != value:
            names.append(host)  # instance="db1:9100" names db1
    return tuple(dict.fromkeys(names))


def apply(rules: Rules, alert: Incoming) -> Mapped:
    """What the rules make of one alert."""
    labels, notes = alert.labels, alert.annotations
    severity = labels.get(rules.severity_label, "")
    title = notes.get(rules.title_annotation) or labels.get("alertname") or f"Alert {alert.fingerprint}"
    return Mapped(
        priority=priority_of(rules, severity),
        severity=severity,
        title=title.strip()[:200] or f"Alert {alert.fingerprint}",
        description=notes.get(rules.description_annotation, ""),
        category=labels.get(rules.category_label) or rules.default_category,
        team=labels.get(rules.team_label) or None,
        ci_names=_ci_names(rules, labels),
        runbook_url=notes.get(rules.runbook_annotation, ""),
    )
