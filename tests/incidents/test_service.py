"""Incident service: creation, priority, lifecycle, comments, timeline, audit, filters and pagination."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import Clock
from tests.factories.auth import actor, make_team, make_user
from tests.factories.incidents import make_incident
from vigil.auth.roles import Role
from vigil.cmdb import service as cmdb_service
from vigil.cmdb.schemas import CICreate
from vigil.core.actor import Actor
from vigil.core.audit import AuditRecord
from vigil.core.errors import Conflict, Forbidden, Invalid, NotFound
from vigil.incidents import service
from vigil.incidents.schemas import (
    CommentCreate,
    IncidentCreate,
    IncidentFilter,
    IncidentNote,
    IncidentReopen,
    IncidentResolve,
    IncidentUpdate,
    TimelineKind,
)
from vigil.incidents.settings import IncidentSettings


def test_create_numbers_and_computes_priority(session: Session, admin: Actor) -> None:
    a = make_incident(session, admin, impact="high", urgency="high", category="Database")
    b = make_incident(session, admin, impact="low", urgency="medium")
    assert a.number.startswith("INC-") and len(a.number) == 10
    assert int(b.number[4:]) == int(a.number[4:]) + 1
    assert (a.priority, b.priority) == ("P1", "P4")
    assert a.status == "open" and a.requester_id == admin.user_id
    assert a.priority_reason is None


def test_explicit_priority_needs_reason_and_severity_is_a_synonym(session: Session, admin: Actor) -> None:
    with pytest.raises(ValueError, match="priority_reason"):
        IncidentCreate(title="x", priority="P1")
    with pytest.raises(ValueError, match="synonyms"):
        IncidentCreate(title="x", priority="P1", severity="P2", priority_reason="r")
    inc = make_incident(
        session, admin, severity="P2", priority_reason="VIP customer", impact="low", urgency="low"
    )
    assert inc.priority == "P2" and inc.priority_reason == "VIP customer"


def test_unknown_references_are_invalid(session: Session, admin: Actor) -> None:
    with pytest.raises(Invalid, match="unknown category 'Nope'.*AI Services"):
        make_incident(session, admin, category="Nope")
    with pytest.raises(Invalid, match="unknown or inactive user"):
        make_incident(session, admin, assigned_to="ghost@example.com")
    with pytest.raises(Invalid, match="unknown team"):
        make_incident(session, admin, assignment_group="Nobody")
    with pytest.raises(Invalid, match="unknown configuration item"):
        make_incident(session, admin, affected_cis=["no-such-ci"])


def test_create_links_cis_group_assignee_tags(session: Session, admin: Actor) -> None:
    agent = make_user(session, admin)
    team = make_team(session, admin, agent, name="Database")
    ci = cmdb_service.create(
        session=session, actor=admin, data=CICreate(name="postgres-primary", ci_class="database")
    )
    inc = make_incident(
        session,
        admin,
        assigned_to=agent.email,
        assignment_group="Database",
        affected_cis=["postgres-primary", str(ci.id)],
        tags=["DB", "db", "prod"],
    )
    assert inc.assigned_to_id == agent.id and inc.assignment_group_id == team.id
    assert [c.name for c in inc.affected_cis] == ["postgres-primary"]
    assert inc.tags == ["db", "prod"]


def test_full_lifecycle_sets_timestamps(session: Session, admin: Actor, frozen_clock: Clock) -> None:
    inc = make_incident(session, admin)
    frozen_clock.advance(minutes=10)
    service.acknowledge(session=session, actor=admin, ref=inc.number)
    assert inc.status == "in_progress" and inc.assigned_to_id == admin.user_id
    assert inc.acknowledged_at == frozen_clock.now
    frozen_clock.advance(minutes=5)
    service.hold(session=session, actor=admin, ref=inc.id, data=IncidentNote(note="waiting for vendor"))
    service.resume(session=session, actor=admin, ref=inc.id)
    frozen_clock.advance(hours=2)
    service.resolve(
        session=session,
        actor=admin,
        ref=inc.id,
        data=IncidentResolve(
            resolution_notes="raised pool size", resolution_code="workaround", root_cause="pool"
        ),
    )
    read = service.to_read(inc)
    assert read.status == "resolved" and read.resolution_code == "workaround" and read.root_cause == "pool"
    assert read.time_to_acknowledge == 600 and read.time_to_resolve == 600 + 300 + 7200
    frozen_clock.advance(hours=1)
    service.close(session=session, actor=admin, ref=inc.id)
    assert inc.status == "closed" and inc.closed_at == frozen_clock.now
    assert service.to_read(inc).allowed_actions == []


def test_resolve_directly_from_open_acknowledges(session: Session, admin: Actor) -> None:
    inc = make_incident(session, admin)
    service.resolve(session=session, actor=admin, ref=inc.id, data=IncidentResolve(resolution_notes="fixed"))
    assert inc.acknowledged_at is not None and inc.resolved_at is not None


def test_illegal_transition_names_state_and_allowed_actions(session: Session, admin: Actor) -> None:
    inc = make_incident(session, admin)
    with pytest.raises(Conflict) as err:
        service.close(session=session, actor=admin, ref=inc.id)
    assert "it is open" in err.value.detail and "acknowledge, resolve, cancel" in err.value.detail
    assert inc.status == "open"


def test_resolution_notes_required(session: Session, admin: Actor) -> None:
    inc = make_incident(session, admin)
    with pytest.raises(ValueError):
        IncidentResolve(resolution_notes="   ")
    with pytest.raises(Invalid, match="resolution_notes"):
        service.update(session=session, actor=admin, ref=inc.id, data=IncidentUpdate(status="resolved"))
    assert inc.status == "open"


def test_reopen_within_window_only(session: Session, admin: Actor, frozen_clock: Clock) -> None:
    settings = IncidentSettings(reopen_window_hours=24)
    inc = make_incident(session, admin)
    service.resolve(session=session, actor=admin, ref=inc.id, data=IncidentResolve(resolution_notes="n"))
    frozen_clock.advance(hours=23)
    service.reopen(
        session=session,
        actor=admin,
        ref=inc.id,
        data=IncidentReopen(reason="still broken"),
        settings=settings,
    )
    assert inc.status == "in_progress" and inc.resolved_at is None
    service.resolve(session=session, actor=admin, ref=inc.id, data=IncidentResolve(resolution_notes="n2"))
    frozen_clock.advance(hours=25)
    with pytest.raises(Conflict, match="past the reopen window"):
        service.reopen(
            session=session, actor=admin, ref=inc.id, data=IncidentReopen(reason="again"), settings=settings
        )
    assert inc.status == "resolved"


def test_closed_is_final(session: Session, admin: Actor) -> None:
    inc = make_incident(session, admin)
    service.resolve(session=session, actor=admin, ref=inc.id, data=IncidentResolve(resolution_notes="n"))
    service.close(session=session, actor=admin, ref=inc.id)
    with pytest.raises(Conflict, match="final"):
        service.update(session=session, actor=admin, ref=inc.id, data=IncidentUpdate(title="new"))
    with pytest.raises(Conflict, match="final"):
        service.add_comment(session=session, actor=admin, ref=inc.id, data=CommentCreate(body="hello"))
    with pytest.raises(Conflict):
        service.reopen(session=session, actor=admin, ref=inc.id, data=IncidentReopen(reason="r"))


def test_update_audits_old_and_new_and_recomputes_priority(session: Session, admin: Actor) -> None:
    agent = make_user(session, admin)
    inc = make_incident(session, admin, impact="low", urgency="low")
    service.update(
        session=session,
        actor=admin,
        ref=inc.number,
        data=IncidentUpdate(title="Renamed", impact="high", urgency="high", assigned_to=agent.email),
    )
    assert inc.priority == "P1" and inc.version == 2
    rec = session.scalars(select(AuditRecord).where(AuditRecord.action == "incident.update")).one()
    assert rec.changes["title"] == ["Database connection timeout", "Renamed"]
    assert rec.changes["priority"] == ["P4", "P1"]
    assert rec.changes["assigned_to"] == [None, agent.email]
    assert rec.actor_id == admin.user_id and rec.channel == "api"
    # An explicit override sticks through impact changes until cleared with null.
    service.update(
        session=session, actor=admin, ref=inc.id, data=IncidentUpdate(priority="P3", priority_reason="agreed")
    )
    service.update(session=session, actor=admin, ref=inc.id, data=IncidentUpdate(impact="medium"))
    assert inc.priority == "P3"
    service.update(
        session=session, actor=admin, ref=inc.id, data=IncidentUpdate.model_validate({"priority": None})
    )
    assert inc.priority == "P2" and inc.priority_reason is None


def test_noop_update_writes_nothing(session: Session, admin: Actor) -> None:
    inc = make_incident(session, admin, title="Same")
    service.update(session=session, actor=admin, ref=inc.id, data=IncidentUpdate(title="Same"))
    assert inc.version == 1
    assert session.scalars(select(AuditRecord).where(AuditRecord.action == "incident.update")).all() == []


def test_update_clears_and_rejects_null_required(session: Session, admin: Actor) -> None:
    agent = make_user(session, admin)
    inc = make_incident(session, admin, assigned_to=agent.email)
    service.update(
        session=session, actor=admin, ref=inc.id, data=IncidentUpdate.model_validate({"assigned_to": None})
    )
    assert inc.assigned_to_id is None
    with pytest.raises(Invalid, match="title cannot be null"):
        service.update(
            session=session, actor=admin, ref=inc.id, data=IncidentUpdate.model_validate({"title": None})
        )


def test_parent_links_duplicates_to_a_master(session: Session, admin: Actor) -> None:
    master = make_incident(session, admin)
    dup = make_incident(session, admin, parent=master.number)
    assert dup.parent_id == master.id
    with pytest.raises(Invalid, match="own parent"):
        service.update(session=session, actor=admin, ref=master.id, data=IncidentUpdate(parent=master.number))
    with pytest.raises(Invalid, match="itself a duplicate"):
        make_incident(session, admin, parent=dup.number)


def test_comments_work_notes_and_timeline(session: Session, admin: Actor, frozen_clock: Clock) -> None:
    requester = make_user(session, admin, Role.REQUESTER)
    inc = make_incident(session, admin, requester=requester.email)
    frozen_clock.advance(minutes=1)
    service.add_comment(session=session, actor=admin, ref=inc.id, data=CommentCreate(body="We are on it"))
    frozen_clock.advance(minutes=1)
    service.add_comment(
        session=session, actor=admin, ref=inc.id, data=CommentCreate(body="secret", internal=True)
    )
    frozen_clock.advance(minutes=1)
    service.acknowledge(session=session, actor=admin, ref=inc.id)
    staff = service.timeline(session=session, actor=admin, ref=inc.id)
    assert [e.kind for e in staff] == [
        TimelineKind.CREATED,
        TimelineKind.COMMENT,
        TimelineKind.WORK_NOTE,
        TimelineKind.TRANSITION,
    ]
    assert staff[-1].changes["status"] == ["open", "in_progress"]
    assert staff[-1].changes["assigned_to"] == [None, "admin@vigil.example"]
    visible = service.timeline(session=session, actor=actor(session, requester), ref=inc.id)
    assert [e.body for e in visible if e.body] == ["We are on it"]
    assert all(e.kind != TimelineKind.WORK_NOTE for e in visible)


def test_requester_cannot_write_work_notes_or_set_staff_fields(session: Session, admin: Actor) -> None:
    requester = actor(session, make_user(session, admin, Role.REQUESTER))
    with pytest.raises(Forbidden):
        make_incident(session, requester, priority="P1", priority_reason="urgent for me")
    with pytest.raises(Forbidden):
        make_incident(session, requester, assigned_to="admin@vigil.example")
    inc = make_incident(session, requester)
    with pytest.raises(Forbidden):
        service.add_comment(
            session=session, actor=requester, ref=inc.id, data=CommentCreate(body="x", internal=True)
        )
    with pytest.raises(Forbidden):
        service.acknowledge(session=session, actor=requester, ref=inc.id)
    with pytest.raises(Forbidden):
        service.update(session=session, actor=requester, ref=inc.id, data=IncidentUpdate(title="mine"))
    service.add_comment(session=session, actor=requester, ref=inc.id, data=CommentCreate(body="any news?"))
    service.cancel(session=session, actor=requester, ref=inc.id, data=IncidentNote(note="works again"))
    assert inc.status == "cancelled"


def test_requesters_see_only_their_own(session: Session, admin: Actor) -> None:
    alice = actor(session, make_user(session, admin, Role.REQUESTER))
    bob = actor(session, make_user(session, admin, Role.REQUESTER))
    mine = make_incident(session, alice, title="alice's")
    make_incident(session, bob, title="bob's")
    page = service.list_incidents(session=session, actor=alice, filters=IncidentFilter())
    assert [i.id for i in page.items] == [mine.id]
    with pytest.raises(NotFound):
        service.get(session=session, actor=bob, ref=mine.number)
    with pytest.raises(NotFound):
        service.add_comment(session=session, actor=bob, ref=mine.id, data=CommentCreate(body="peek"))
    with pytest.raises(NotFound):
        service.timeline(session=session, actor=bob, ref=mine.id)


def test_agents_see_their_groups_assignments_and_triage(session: Session, admin: Actor) -> None:
    a1, a2 = make_user(session, admin), make_user(session, admin)
    make_team(session, admin, a1, name="DBA")
    make_team(session, admin, a2, name="Net")
    ours = make_incident(session, admin, assignment_group="DBA")
    theirs = make_incident(session, admin, assignment_group="Net")
    mine = make_incident(session, admin, assignment_group="Net", assigned_to=a1.email)
    triage = make_incident(session, admin)
    seen = {
        i.id
        for i in service.list_incidents(
            session=session, actor=actor(session, a1), filters=IncidentFilter()
        ).items
    }
    assert seen == {ours.id, mine.id, triage.id}
    assert theirs.id not in seen


@pytest.fixture
def populated(session: Session, admin: Actor) -> dict[str, object]:
    agent = make_user(session, admin)
    make_team(session, admin, agent, name="Platform")
    cmdb_service.create(session=session, actor=admin, data=CICreate(name="api-gateway"))
    made = {
        "gw": make_incident(
            session,
            admin,
            title="Gateway 503",
            category="API",
            impact="high",
            urgency="high",
            affected_cis=["api-gateway"],
            assignment_group="Platform",
            assigned_to=agent.email,
        ),
        "db": make_incident(
            session, admin, title="Slow queries", category="Database", description="p99 at 2 s"
        ),
        "bill": make_incident(
            session, admin, title="Invoice 100% off", category="Billing", impact="low", urgency="low"
        ),
    }
    service.acknowledge(session=session, actor=admin, ref=made["db"].id)
    return {"agent": agent, **made}


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"status": ["open"]}, {"gw", "bill"}),
        ({"status": ["in_progress", "open"]}, {"gw", "db", "bill"}),
        ({"priority": ["P1"]}, {"gw"}),
        ({"category": ["Database", "Billing"]}, {"db", "bill"}),
        ({"assignment_group": "Platform"}, {"gw"}),
        ({"assignment_group": "none"}, {"db", "bill"}),
        ({"assigned_to": "none"}, {"bill"}),
        ({"assigned_to": "me"}, {"db"}),
        ({"ci": "api-gateway"}, {"gw"}),
        ({"q": "p99"}, {"db"}),
        ({"q": "100%"}, {"bill"}),
        ({"q": "gateway"}, {"gw"}),
    ],
)
def test_filters(
    session: Session,
    admin: Actor,
    populated: dict[str, object],
    filters: dict[str, object],
    expected: set[str],
) -> None:
    page = service.list_incidents(
        session=session, actor=admin, filters=IncidentFilter.model_validate(filters)
    )
    ids = {i.id for i in page.items}
    assert ids == {populated[k].id for k in expected}  # type: ignore[attr-defined]


def test_filter_by_assignee_email_and_created_range(
    session: Session, admin: Actor, populated: dict[str, object], frozen_clock: Clock
) -> None:
    agent = populated["agent"]
    got = service.list_incidents(
        session=session, actor=admin, filters=IncidentFilter(assigned_to=agent.email)
    )  # type: ignore[attr-defined]
    assert [i.title for i in got.items] == ["Gateway 503"]
    start = frozen_clock.now
    late = make_incident(session, admin, title="later")
    window = IncidentFilter(created_after=start, created_before=frozen_clock.advance(seconds=1))
    assert [i.id for i in service.list_incidents(session=session, actor=admin, filters=window).items] == [
        late.id
    ]
    with pytest.raises(Invalid):
        service.list_incidents(
            session=session, actor=admin, filters=IncidentFilter(assigned_to="nobody@example.com")
        )


@pytest.mark.parametrize(
    "sort", ["-created_at", "created_at", "priority", "-priority", "number", "-updated_at"]
)
def test_cursor_pagination_is_stable_under_inserts(
    session: Session, admin: Actor, frozen_clock: Clock, sort: str
) -> None:
    made = []
    for i in range(7):
        frozen_clock.advance(seconds=1 if i % 3 else 0)  # some equal timestamps: the id breaks ties
        made.append(make_incident(session, admin, title=f"n{i}", impact=["high", "medium", "low"][i % 3]))
    seen: list[object] = []
    cursor = None
    while True:
        page = service.list_incidents(
            session=session, actor=admin, filters=IncidentFilter(sort=sort, limit=3, cursor=cursor)
        )
        seen.extend(i.id for i in page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
        frozen_clock.advance(seconds=1)
        make_incident(
            session, admin, title="inserted meanwhile", impact="high", urgency="high"
        )  # must not disturb paging
    assert len(seen) == len(set(seen)), "no incident is shown twice"
    assert {m.id for m in made} <= set(seen), "no incident that existed at the start is skipped"


def test_bad_cursor_is_invalid(session: Session, admin: Actor) -> None:
    with pytest.raises(Invalid, match="malformed cursor"):
        service.list_incidents(session=session, actor=admin, filters=IncidentFilter(cursor="not-a-cursor"))
    make_incident(session, admin)
    make_incident(session, admin)
    page = service.list_incidents(session=session, actor=admin, filters=IncidentFilter(limit=1))
    with pytest.raises(Invalid, match="different list or sort"):
        service.list_incidents(
            session=session, actor=admin, filters=IncidentFilter(cursor=page.next_cursor, sort="number")
        )


def test_get_by_number_is_case_insensitive_and_unknown_is_not_found(session: Session, admin: Actor) -> None:
    inc = make_incident(session, admin)
    assert service.get(session=session, actor=admin, ref=inc.number.lower()).id == inc.id
    assert service.get(session=session, actor=admin, ref=str(inc.id)).id == inc.id
    with pytest.raises(NotFound):
        service.get(session=session, actor=admin, ref="INC-999999")


def test_a_parent_the_actor_cannot_see_is_not_shown(session: Session, admin: Actor) -> None:
    """Related records load through their own visibility: a requester never learns the number or title
    of a master incident they may not see, in the read model, in lists or in the timeline."""
    requester = actor(session, make_user(session, admin, Role.REQUESTER))
    master = make_incident(session, admin, title="Secret outage in payroll")
    mine = make_incident(session, requester, title="My laptop cannot reach payroll")
    service.update(session=session, actor=admin, ref=mine.id, data=IncidentUpdate(parent=master.number))

    assert service.to_read(service.get(session=session, actor=admin, ref=mine.id), admin).parent is not None
    seen = service.to_read(service.get(session=session, actor=requester, ref=mine.id), requester)
    assert seen.parent is None
    page = service.list_incidents(session=session, actor=requester, filters=IncidentFilter())
    assert [service.to_read(i, requester).parent for i in page.items] == [None]
    changes = [e.changes for e in service.timeline(session=session, actor=requester, ref=mine.id)]
    assert all(master.number not in str(c) for c in changes)
    staff_changes = [e.changes for e in service.timeline(session=session, actor=admin, ref=mine.id)]
    assert any(master.number in str(c) for c in staff_changes)
