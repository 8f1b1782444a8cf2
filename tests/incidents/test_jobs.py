"""Auto-close: resolved incidents close themselves after the confirmation period, audited as Vigil."""

from __future__ import annotations

from sqlalchemy import select

from tests.conftest import Clock
from tests.factories.incidents import make_incident
from vigil.core.actor import Actor
from vigil.core.audit import AuditRecord
from vigil.core.db import Database
from vigil.core.jobs import worker
from vigil.incidents import service
from vigil.incidents.schemas import IncidentResolve


def test_auto_close_after_confirmation_period(db: Database, admin: Actor, frozen_clock: Clock) -> None:
    with db.unit_of_work() as s:
        old = make_incident(s, admin, title="old")
        fresh = make_incident(s, admin, title="fresh")
        untouched = make_incident(s, admin, title="open")
        service.resolve(session=s, actor=admin, ref=old.id, data=IncidentResolve(resolution_notes="done"))
    frozen_clock.advance(hours=70)
    with db.unit_of_work() as s:
        service.resolve(session=s, actor=admin, ref=fresh.id, data=IncidentResolve(resolution_notes="done"))
    frozen_clock.advance(hours=3)  # old: 73 h since resolution (> 72), fresh: 3 h
    worker.run_pending(db)
    with db.unit_of_work() as s:
        statuses = {
            i.title: i.status
            for i in (service.get(session=s, actor=admin, ref=x.id) for x in (old, fresh, untouched))
        }
        assert statuses == {"old": "closed", "fresh": "resolved", "open": "open"}
        closing = s.scalars(select(AuditRecord).where(AuditRecord.action == "incident.close")).one()
        assert closing.actor_name == "Vigil" and closing.channel == "job"
        timeline = service.timeline(session=s, actor=admin, ref=old.id)
        assert "closed automatically 72 hours after resolution" in (timeline[-1].body or "")
