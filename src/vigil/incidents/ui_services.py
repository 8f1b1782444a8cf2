"""The services overview (/services, staff): every business and technical service with its health, from
the open incidents whose affected CIs reach it (the impacted services stored on each incident).

It lives with incidents because health is about incidents, and the CMDB may not read them. Two queries
for the whole page: the services, and the open incidents' counts and worst priority per service."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from vigil.auth import policy as auth_policy
from vigil.auth.deps import WebActor
from vigil.cmdb import policy as cmdb_policy
from vigil.cmdb.models import CIClass, ConfigurationItem
from vigil.cmdb.vocabulary import Lifecycle
from vigil.core.actor import Actor
from vigil.incidents import lifecycle, policy
from vigil.incidents.models import Incident, IncidentServiceImpact
from vigil.web.deps import Db
from vigil.web.templating import render, render_error

router = APIRouter(prefix="/services", include_in_schema=False)

#: Health by the worst open priority reaching a service; the order is the page's (worst first).
HEALTH = {"P1": "down", "P2": "degraded", "P3": "degraded", "P4": "minor", None: "operational"}
HEALTH_ORDER = ("down", "degraded", "minor", "operational")
HEALTH_WORDS = {"down": "Down", "degraded": "Degraded", "minor": "Minor", "operational": "Operational"}
MAX_SERVICES = 500


@dataclass(frozen=True)
class ServiceHealth:
    ci: ConfigurationItem
    class_label: str
    open_incidents: int
    worst: str | None

    @property
    def health(self) -> str:
        return HEALTH.get(self.worst, "operational")


def _services(session: Session, actor: Actor) -> list[tuple[ConfigurationItem, str]]:
    stmt = (
        select(ConfigurationItem, CIClass.label)
        .join(CIClass, CIClass.key == ConfigurationItem.ci_class)
        .where(CIClass.is_service.is_(True), ConfigurationItem.status != Lifecycle.RETIRED)
        .where(cmdb_policy.visible(actor))
        .options(joinedload(ConfigurationItem.owner_team))
        .order_by(ConfigurationItem.name, ConfigurationItem.id)
        .limit(MAX_SERVICES)
    )
    return [(ci, label) for ci, label in session.execute(stmt)]


def _open_by_service(session: Session, actor: Actor) -> dict[uuid.UUID, tuple[int, str]]:
    """Per service CI: how many open incidents (the actor may see) reach it, and the worst priority."""
    stmt = (
        select(
            IncidentServiceImpact.ci_id,
            func.count(IncidentServiceImpact.incident_id),
            func.min(Incident.priority),  # "P1" < "P2" < ...
        )
        .join(Incident, Incident.id == IncidentServiceImpact.incident_id)
        .where(Incident.status.in_([str(s) for s in lifecycle.OPEN]), policy.visible(actor))
        .group_by(IncidentServiceImpact.ci_id)
    )
    return {ci_id: (count, worst) for ci_id, count, worst in session.execute(stmt)}


def overview(session: Session, actor: Actor) -> list[ServiceHealth]:
    """Every live service the actor may see, worst health first, then the most critical, then by name."""
    counts = _open_by_service(session, actor)
    rows = [
        ServiceHealth(ci, label, *counts.get(ci.id, (0, None))) for ci, label in _services(session, actor)
    ]
    return sorted(rows, key=lambda r: (HEALTH_ORDER.index(r.health), r.ci.criticality, r.ci.name))


@router.get("", response_class=HTMLResponse)
def services_page(request: Request, db: Db, actor: WebActor) -> Response:
    if not auth_policy.is_staff(actor):
        return render_error(request, 403, "Forbidden", "The services overview is for staff.")
    with db.unit_of_work() as session:
        rows = overview(session, actor)
        tally: dict[str, Any] = {h: sum(1 for r in rows if r.health == h) for h in HEALTH_ORDER}
        ctx = {"rows": rows, "tally": tally, "order": HEALTH_ORDER, "words": HEALTH_WORDS}
        return render(request, "cmdb/services.html", ctx)
