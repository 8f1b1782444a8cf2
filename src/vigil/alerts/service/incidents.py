"""Alert groups become incidents through the incidents domain's own services (one write path):
open one for a group, note the alerts that join it, resolve or note its recovery."""

from __future__ import annotations

import uuid

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from vigil.alerts.mapping import Mapped, Rules
from vigil.alerts.models import Integration, Recovery
from vigil.alerts.payloads import Incoming
from vigil.auth import service as auth_service
from vigil.auth.roles import Role
from vigil.cmdb.models import CIExternalId, ConfigurationItem
from vigil.core.actor import Actor, Channel
from vigil.core.errors import Invalid
from vigil.incidents import lifecycle
from vigil.incidents import service as incidents_service
from vigil.incidents.models import Incident
from vigil.incidents.schemas import CommentCreate, IncidentCreate, IncidentResolve
from vigil.incidents.service import categories

KIND_NAMES = {"alertmanager": "Alertmanager", "grafana": "Grafana", "generic": "webhook"}


def system_actor(integration: Integration) -> Actor:
    """The integration acting on incidents: staff rights (it sets priorities, files for its requester)."""
    source = KIND_NAMES.get(integration.kind, integration.kind)
    return Actor(
        user_id=None,
        roles=frozenset({Role.MANAGER}),
        channel=Channel.API,
        display_name=f"{source} ({integration.name})",
    )


def find_cis(session: Session, rules: Rules, names: tuple[str, ...]) -> list[ConfigurationItem]:
    """The CIs the labels name: by CMDB name, or by external id of `rules.ci_external_source` (the NetBox
    device name), in label order; one query."""
    if not names:
        return []
    by_external = select(CIExternalId.ci_id).where(CIExternalId.external_id.in_(names))
    if rules.ci_external_source:
        by_external = by_external.where(CIExternalId.source == rules.ci_external_source)
    found = list(
        session.scalars(
            select(ConfigurationItem)
            .where(or_(ConfigurationItem.name.in_(names), ConfigurationItem.id.in_(by_external)))
            .limit(50)
        )
    )
    externals = (
        dict(
            session.execute(
                select(CIExternalId.external_id, CIExternalId.ci_id).where(
                    CIExternalId.ci_id.in_([c.id for c in found]), CIExternalId.external_id.in_(names)
                )
            ).all()
        )
        if found
        else {}
    )
    rank = {name: n for n, name in enumerate(names)}

    def order(ci: ConfigurationItem) -> int:
        hits = [rank[ci.name]] if ci.name in rank else []
        hits += [rank[e] for e, cid in externals.items() if cid == ci.id]
        return min(hits, default=len(names))

    best: dict[uuid.UUID, ConfigurationItem] = {c.id: c for c in sorted(found, key=order)}
    return list(best.values())[:1] if best else []


def _category(session: Session, rules: Rules, wanted: str) -> str:
    for name in (wanted, rules.default_category, "Other"):
        try:
            return categories.require_active(session, name)
        except Invalid:
            continue
    return "Other"


def _team(session: Session, name: str | None) -> str | None:
    if not name:
        return None
    try:
        return auth_service.resolve_team(session, name).name
    except Invalid:
        return None


def describe(integration: Integration, alert: Incoming, mapped: Mapped) -> str:
    lines = [mapped.description] if mapped.description else []
    if mapped.runbook_url:
        lines.append(f"Runbook: {mapped.runbook_url}")
    if alert.generator_url:
        lines.append(f"Source: {alert.generator_url}")
    labels = ", ".join(f"{k}={v}" for k, v in sorted(alert.labels.items()))
    lines.append(f"Alert from {integration.kind} integration {integration.name}: {labels}")
    return "\n\n".join(lines)[:20000]


def incident_data(
    session: Session, integration: Integration, alert: Incoming, mapped: Mapped
) -> IncidentCreate:
    rules = Rules.model_validate(integration.rules)
    cis = find_cis(session, rules, mapped.ci_names)
    reason = (
        f"alert severity {mapped.severity!r}" if mapped.severity else "the integration's default priority"
    )
    return IncidentCreate(
        title=mapped.title,
        description=describe(integration, alert, mapped),
        category=_category(session, rules, mapped.category),
        priority=mapped.priority,
        priority_reason=f"From {reason} ({integration.kind} integration {integration.name})",
        requester=str(integration.requester_id),
        assignment_group=_team(session, mapped.team),
        affected_cis=[str(c.id) for c in cis],
        tags=["alert"],
    )


def open_incident(
    session: Session, integration: Integration, alert: Incoming, mapped: Mapped, actor: Actor | None = None
) -> Incident:
    data = incident_data(session, integration, alert, mapped)
    return incidents_service.create(session=session, actor=actor or system_actor(integration), data=data)


def note_joined(
    session: Session, integration: Integration, incident_id: uuid.UUID, titles: list[str]
) -> None:
    """One work note per delivery for the new alerts joining the incident's group (repeats say nothing)."""
    shown = ", ".join(titles[:10]) + (f" and {len(titles) - 10} more" if len(titles) > 10 else "")
    body = f"{len(titles)} more alert{'s' if len(titles) > 1 else ''} joined this incident's group: {shown}"
    _work_note(session, integration, incident_id, body)


def _work_note(session: Session, integration: Integration, incident_id: uuid.UUID, body: str) -> None:
    status = session.scalar(select(Incident.status).where(Incident.id == incident_id))
    if status is None or status in lifecycle.FINAL:
        return
    incidents_service.add_comment(
        session=session,
        actor=system_actor(integration),
        ref=incident_id,
        data=CommentCreate(body=body, internal=True),
    )


def recover(session: Session, integration: Integration, incident_id: uuid.UUID) -> bool:
    """Every alert of the incident's group resolved: resolve it (recovery "resolve", when it is still
    being worked) or note it. True when it was resolved."""
    source = KIND_NAMES.get(integration.kind, integration.kind)
    status = session.scalar(select(Incident.status).where(Incident.id == incident_id))
    if integration.recovery == Recovery.RESOLVE and status in lifecycle.OPEN:
        incidents_service.resolve(
            session=session,
            actor=system_actor(integration),
            ref=incident_id,
            data=IncidentResolve(
                resolution_notes=f"Every alert of the group recovered ({source} {integration.name})."
            ),
        )
        return True
    _work_note(
        session,
        integration,
        incident_id,
        f"Every alert of the group recovered ({source} {integration.name}).",
    )
    return False
