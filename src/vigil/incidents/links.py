"""Incidents as ends of typed links (core.links): loaded and resolved through incidents' own visibility."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.core import links
from vigil.core.actor import Actor
from vigil.incidents import policy
from vigil.incidents.models import Incident
from vigil.incidents.service.records import visible_id

RECORD_TYPE = "incident"


def load(session: Session, actor: Actor, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, links.Ref]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = session.execute(
        select(Incident.id, Incident.number, Incident.title).where(
            Incident.id.in_(wanted), policy.visible(actor)
        )
    )
    return {row.id: links.Ref(RECORD_TYPE, row.id, row.number, row.title) for row in rows}


def resolve(session: Session, actor: Actor, ref: str) -> uuid.UUID:
    return visible_id(session, actor, ref)


def ref_of(incident: Incident) -> links.Ref:
    return links.Ref(RECORD_TYPE, incident.id, incident.number, incident.title)


links.register_target(links.Target(RECORD_TYPE, load, resolve))
INCIDENTS = frozenset({RECORD_TYPE})
links.register_kind(links.Kind("related_to", "related_to", INCIDENTS, INCIDENTS))
# An incident caused by another (a cascade); problems and changes will add their targets to this kind.
links.register_kind(links.Kind("caused_by", "causes", INCIDENTS, INCIDENTS))
# A duplicate and its master: stored as the incident's `parent` (service.related shows it as a link).
links.register_kind(links.Kind("duplicate_of", "duplicated_by", INCIDENTS, INCIDENTS))
