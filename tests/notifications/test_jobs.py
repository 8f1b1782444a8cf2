"""Who is told of what: real incident service calls, then the job queue delivers the events."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from tests.conftest import Clock
from tests.factories.incidents import make_incident
from tests.notifications.conftest import People, as_actor, drain, inbox_of
from vigil.auth import service as auth_service
from vigil.auth.schemas import UserUpdate
from vigil.core import events
from vigil.core.actor import Actor
from vigil.core.db import Database
from vigil.incidents import service
from vigil.incidents.events import IncidentEscalated
from vigil.incidents.schemas import (
    CommentCreate,
    EscalationLevelSet,
    IncidentEscalate,
    IncidentNote,
    IncidentUpdate,
)
from vigil.incidents.service import escalation
from vigil.notifications import jobs
from vigil.notifications import service as notifications
from vigil.notifications.models import Kind, Notification, NotificationDelivery
from vigil.sla import service as sla


def test_an_assignment_tells_the_new_assignee_only(db: Database, admin: Actor, people: People) -> None:
    with db.unit_of_work() as s:
        inc = make_incident(s, admin, title="Mail queue stuck", assignment_group=people.team.name)
        number = inc.number
    drain(db)
    with db.unit_of_work() as s:
        service.update(
            session=s, actor=admin, ref=inc.id, data=IncidentUpdate(assigned_to=people.agent.email)
        )
    drain(db)
    assert inbox_of(db, people.agent) == [
        ("team_queue", f"{number} is in {people.team.name}'s queue"),
        ("assigned", f"{number} was assigned to you"),
    ]
    assert inbox_of(db, people.colleague) == [("team_queue", f"{number} is in {people.team.name}'s queue")]
    assert inbox_of(db, people.outsider) == [] and inbox_of(db, people.manager) == []
    with db.unit_of_work() as s:
        note = s.scalars(
            select(Notification).where(
                Notification.user_id == people.agent.id, Notification.kind == "assigned"
            )
        ).one()
        assert note.link == f"/incidents/{number}" and note.record_type == "incident"
        assert note.record_id == inc.id and note.body == "Mail queue stuck" and note.read_at is None
        (delivery,) = s.scalars(
            select(NotificationDelivery).where(NotificationDelivery.notification_id == note.id)
        )
        assert (delivery.channel, delivery.status, delivery.attempts) == ("inbox", "sent", 1)
        assert delivery.sent_at is not None


def test_an_assignment_superseded_before_delivery_is_not_told(
    db: Database, admin: Actor, people: People
) -> None:
    with db.unit_of_work() as s:  # into the queue, then straight to the agent, before any job runs
        inc = make_incident(s, admin, title="Disk full", assignment_group=people.team.name)
        service.update(
            session=s, actor=admin, ref=inc.id, data=IncidentUpdate(assigned_to=people.agent.email)
        )
    drain(db)
    assert inbox_of(db, people.agent) == [("assigned", f"{inc.number} was assigned to you")]
    assert inbox_of(db, people.colleague) == []


def test_nobody_is_told_of_their_own_action(db: Database, admin: Actor, people: People) -> None:
    with db.unit_of_work() as s:
        agent = as_actor(s, people.agent)
        inc = make_incident(s, admin, title="Printer jam", assignment_group=people.team.name)
    drain(db)
    with db.unit_of_work() as s:  # acknowledging takes ownership: the agent assigned themself
        service.acknowledge(session=s, actor=agent, ref=inc.id, data=IncidentNote())
    drain(db)
    assert [k for k, _ in inbox_of(db, people.agent)] == ["team_queue"]
    with db.unit_of_work() as s:  # assigning to oneself by an update is silent too
        colleague = as_actor(s, people.colleague)
        service.update(
            session=s, actor=colleague, ref=inc.id, data=IncidentUpdate(assigned_to=people.colleague.email)
        )
    drain(db)
    assert [k for k, _ in inbox_of(db, people.colleague)] == ["team_queue"]


def test_comments_tell_assignee_and_requester_but_not_the_author(
    db: Database, admin: Actor, people: People
) -> None:
    with db.unit_of_work() as s:
        requester = as_actor(s, people.requester)
        agent = as_actor(s, people.agent)
        inc = make_incident(s, requester, title="Laptop will not boot")
        service.update(
            session=s, actor=admin, ref=inc.id, data=IncidentUpdate(assigned_to=people.agent.email)
        )
    drain(db)
    with db.unit_of_work() as s:
        service.add_comment(session=s, actor=agent, ref=inc.id, data=CommentCreate(body="Is it plugged in?"))
        service.add_comment(
            session=s, actor=agent, ref=inc.id, data=CommentCreate(body="Probably the SSD", internal=True)
        )
        service.add_comment(session=s, actor=requester, ref=inc.id, data=CommentCreate(body="It is."))
        service.add_comment(
            session=s, actor=admin, ref=inc.id, data=CommentCreate(body="Ordered a disk", internal=True)
        )
    drain(db)
    agent_name, req_name, admin_name = (
        people.agent.display_name,
        people.requester.display_name,
        admin.display_name,
    )
    # The requester hears of the agent's public comment only: never of work notes, never of their own.
    assert inbox_of(db, people.requester) == [("commented", f"{agent_name} added a comment on {inc.number}")]
    # The assignee hears of the requester's reply and the admin's work note, not of their own two.
    assert sorted(inbox_of(db, people.agent)) == sorted(
        [
            ("assigned", f"{inc.number} was assigned to you"),
            ("commented", f"{req_name} added a comment on {inc.number}"),
            ("commented", f"{admin_name} added a work note on {inc.number}"),
        ]
    )
    with db.unit_of_work() as s:
        bodies = set(s.scalars(select(Notification.body).where(Notification.user_id == people.agent.id)))
        assert {"It is.", "Ordered a disk"} <= bodies


def test_sla_warning_to_the_group_and_breach_also_to_its_manager(
    db: Database, admin: Actor, people: People, frozen_clock: Clock
) -> None:
    with db.unit_of_work() as s:  # P1: 15 min response, around the clock; in the queue, nobody assigned
        inc = make_incident(
            s, admin, title="Payments down", impact="high", urgency="high", assignment_group=people.team.name
        )
    drain(db)
    frozen_clock.advance(minutes=12, seconds=15)  # 81.7 %: the 75 % warning
    with db.unit_of_work() as s:
        assert sla.sweep(s) == 1
    drain(db)
    warning = ("sla_warning", f"{inc.number} has used 75% of its response SLA")
    assert warning in inbox_of(db, people.agent) and warning in inbox_of(db, people.colleague)
    assert inbox_of(db, people.manager) == []
    with db.unit_of_work() as s:  # now the agent holds it: the breach goes to them and the manager
        service.update(
            session=s, actor=admin, ref=inc.id, data=IncidentUpdate(assigned_to=people.agent.email)
        )
    frozen_clock.advance(minutes=10)
    with db.unit_of_work() as s:
        assert sla.sweep(s) == 2  # 90 %, then the breach, in one pass
    drain(db)
    breach = ("sla_breach", f"{inc.number} breached its response SLA")
    assert breach in inbox_of(db, people.agent) and breach in inbox_of(db, people.manager)
    assert breach not in inbox_of(db, people.colleague)
    assert ("sla_warning", f"{inc.number} has used 90% of its response SLA") in inbox_of(db, people.agent)
    assert inbox_of(db, people.outsider) == []


def test_sla_of_another_record_type_is_ignored(db: Database, people: People) -> None:
    with db.unit_of_work() as s:
        jobs.sla_threshold(s, {"record_type": "change", "record_id": str(uuid.uuid4()), "percent": 100})
        jobs.sla_threshold(s, {"record_type": "incident", "record_id": str(uuid.uuid4()), "percent": 100})
        assert s.scalars(select(Notification)).all() == []


def test_escalations_tell_the_new_team_or_the_manager(db: Database, admin: Actor, people: People) -> None:
    with db.unit_of_work() as s:
        inc = make_incident(s, admin, title="Core switch flapping")
    drain(db)
    with db.unit_of_work() as s:  # emitted as the escalation engine will (it is being wired elsewhere)
        for kind, level in (("functional", 2), ("hierarchical", 3)):
            events.emit(
                s,
                IncidentEscalated(
                    incident_id=inc.id,
                    number=inc.number,
                    kind=kind,
                    level=level,
                    team_id=people.team.id if kind == "functional" else None,
                    manager_id=people.manager.id if kind == "hierarchical" else None,
                    reason="no response in 30 minutes",
                    actor_id=None,
                ),
            )
    drain(db)
    functional = ("escalated", f"{inc.number} was escalated to {people.team.name} (level 2)")
    assert inbox_of(db, people.agent) == [functional] and inbox_of(db, people.colleague) == [functional]
    assert inbox_of(db, people.manager) == [("escalated", f"{inc.number} was escalated to you (level 3)")]
    assert inbox_of(db, people.outsider) == []


def test_deliver_deduplicates_and_skips_inactive_users(db: Database, admin: Actor, people: People) -> None:
    with db.unit_of_work() as s:
        auth_service.update_user(
            session=s, actor=admin, ref=people.outsider.email, data=UserUpdate(active=False)
        )
        made = notifications.deliver(
            session=s,
            user_ids=[people.agent.id, people.agent.id, None, people.outsider.id, people.colleague.id],
            kind=Kind.ASSIGNED,
            title="t",
            actor_id=people.colleague.id,
        )
        assert [n.user_id for n in made] == [people.agent.id]


def test_a_functional_escalation_tells_the_next_team_once(db: Database, admin: Actor, people: People) -> None:
    with db.unit_of_work() as s:
        escalation.set_level(
            session=s, actor=admin, level=2, data=EscalationLevelSet(name="L2 network", team=people.team.name)
        )
        inc = make_incident(s, admin, title="BGP session down")
    drain(db)
    with db.unit_of_work() as s:
        escalation.escalate(
            session=s, actor=admin, ref=inc.id, data=IncidentEscalate(kind="functional", reason="needs L2")
        )
    drain(db)
    told = ("escalated", f"{inc.number} was escalated to {people.team.name} (level 2)")
    assert inbox_of(db, people.agent) == [told] and inbox_of(db, people.colleague) == [told]
    with db.unit_of_work() as s:
        escalation.escalate(
            session=s,
            actor=admin,
            ref=inc.id,
            data=IncidentEscalate(kind="hierarchical", reason="still down"),
        )
    drain(db)
    assert [k for k, _ in inbox_of(db, people.manager)] == ["escalated"]
