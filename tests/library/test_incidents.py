"""The incident facet's contract, run in-process and over HTTP on each backend: the same calls give the
same schema objects and raise the same exceptions (with the same members) either way."""

from __future__ import annotations

import pytest

import vigil
from tests.factories.incidents import as_stored
from tests.library.conftest import Connector, unique
from vigil.client import Vigil
from vigil.incidents.schemas import CategoryRead, CommentRead, IncidentPage, IncidentRead, TimelineEntry


def test_an_incident_through_its_lifecycle(v: Vigil) -> None:
    inc = v.incidents.create(
        title=f"LLM inference timeouts {unique()}", impact="high", urgency="high", tags=["GPU"]
    )
    assert isinstance(inc, IncidentRead)
    assert inc.priority == "P1" and inc.status == "open" and inc.tags == ["gpu"] and inc.version == 1
    assert as_stored(v.incidents.get(inc.number).model_dump()) == as_stored(inc.model_dump())
    assert as_stored(v.incidents.get(inc.id).model_dump()) == as_stored(inc.model_dump())  # by UUID too
    acked = v.incidents.acknowledge(inc.number, note="paging on-call")
    assert acked.status == "in_progress" and acked.acknowledged_at is not None
    assert v.incidents.hold(inc.number).status == "on_hold"
    assert v.incidents.resume(inc.number, note="vendor answered").status == "in_progress"
    note = v.incidents.comment(inc.id, "GPU node 3 is throttling", internal=True)
    assert isinstance(note, CommentRead) and note.internal and note.incident_id == inc.id
    done = v.incidents.resolve(inc.number, notes="drained node 3", code="workaround", root_cause="fan")
    assert done.status == "resolved" and done.resolution_code == "workaround" and done.root_cause == "fan"
    assert v.incidents.reopen(inc.number, reason="back again").status == "in_progress"
    v.incidents.resolve(inc.number, notes="replaced the fan")
    closed = v.incidents.close(inc.number, note="confirmed")
    assert closed.status == "closed" and closed.allowed_actions == []
    timeline = v.incidents.timeline(inc.number)
    assert all(isinstance(e, TimelineEntry) for e in timeline)
    assert [e.kind for e in timeline][0] == "created" and "work_note" in [e.kind for e in timeline]
    assert [e.action for e in timeline][-1] == "incident.close"
    bodies = [c.body for c in v.incidents.comments(inc.number)]  # action notes are comments too
    assert bodies[0] == "Acknowledge: paging on-call" and "GPU node 3 is throttling" in bodies


def test_update_and_cancel(v: Vigil) -> None:
    email = f"agent-{unique()}@example.com"
    v.users.create(email=email, display_name="Agent A", role="agent")
    team = v.teams.create(name=unique("team"), members=[email])
    inc = v.incidents.create(title=unique("update"), assigned_to=email)
    assert inc.assigned_to is not None and inc.assigned_to.email == email
    changed = v.incidents.update(inc.number, assignment_group=team.name, urgency="high", assigned_to=None)
    assert changed.assigned_to is None and changed.assignment_group is not None
    assert changed.assignment_group.name == team.name and changed.version == inc.version + 1
    cancelled = v.incidents.cancel(inc.number, note="raised twice")
    assert cancelled.status == "cancelled"


def test_errors_are_the_same_exceptions_with_the_same_members(v: Vigil) -> None:
    with pytest.raises(vigil.NotFound):
        v.incidents.get("INC-999999")
    inc = v.incidents.create(title=unique("errors"))
    with pytest.raises(vigil.IllegalTransition) as illegal:
        v.incidents.close(inc.number)
    assert isinstance(illegal.value, vigil.Conflict) and illegal.value.status == 409
    assert illegal.value.extra["current_status"] == "open"
    assert illegal.value.extra["allowed_actions"] == ["acknowledge", "resolve", "cancel"]
    assert str(illegal.value).startswith(f"cannot close {inc.number}: it is open")
    with pytest.raises(vigil.Invalid) as blank:
        v.incidents.create(title="")
    assert [e["field"] for e in blank.value.errors] == ["title"]
    with pytest.raises(vigil.Invalid) as unknown:
        v.incidents.create(title=unique(), category="No such category")
    assert unknown.value.status == 422 and [e["field"] for e in unknown.value.errors] == ["category"]
    with pytest.raises(vigil.Invalid):
        v.incidents.resolve(inc.number, notes="   ")
    with pytest.raises(vigil.Invalid) as fields:
        v.incidents.list(fields="number")
    assert fields.value.errors == [{"field": "fields", "message": fields.value.detail}]


def test_a_stale_version_is_refused_with_the_current_one(v: Vigil) -> None:
    inc = v.incidents.create(title=unique("stale"))
    moved = v.incidents.update(inc.number, title="renamed", version=inc.version)
    assert moved.version == inc.version + 1
    with pytest.raises(vigil.StaleVersion) as stale:
        v.incidents.update(inc.number, description="from an old copy", version=inc.version)
    assert stale.value.status == 412 and stale.value.extra["version"] == moved.version
    with pytest.raises(vigil.StaleVersion):
        v.incidents.acknowledge(inc.number, version=inc.version)
    assert v.incidents.get(inc.number).description == ""  # nothing of either was applied
    assert v.incidents.acknowledge(inc.number, version=moved.version).status == "in_progress"


def test_rights_apply_a_requester_is_refused_and_sees_only_theirs(connect: Connector) -> None:
    admin = connect()
    someone_elses = admin.incidents.create(title=unique("private"))
    requester = connect(connect.user("requester"))
    own = requester.incidents.create(title=unique("mine"))
    assert own.requester.email == requester.users.me().email
    with pytest.raises(vigil.NotFound):  # invisible is a 404, never a 403 that leaks existence
        requester.incidents.get(someone_elses.number)
    with pytest.raises(vigil.Forbidden) as refused:
        requester.incidents.acknowledge(own.number)
    assert refused.value.status == 403
    with pytest.raises(vigil.Forbidden):
        requester.incidents.categories.create(unique("cat"))
    assert [i.number for i in requester.incidents.iterate()] == [own.number]


def test_iterate_walks_every_page_and_list_counts(v: Vigil) -> None:
    word = unique("page")
    made = [v.incidents.create(title=f"{word} number {n}").number for n in range(5)]
    page = v.incidents.list(q=word, limit=2, count=True)
    assert isinstance(page, IncidentPage) and len(page.items) == 2 and page.next_cursor
    assert page.count == 5 and page.count_exact is True
    walked = v.incidents.iterate(q=word, limit=2)
    assert [i.number for i in walked] == list(reversed(made))
    oldest_first = [i.number for i in v.incidents.iterate(q=word, limit=3, sort="created_at")]
    assert oldest_first == made
    resumed = [i.number for i in v.incidents.iterate(q=word, limit=2, cursor=page.next_cursor)]
    assert resumed == list(reversed(made))[2:]
    with pytest.raises(vigil.Invalid) as forged:
        v.incidents.list(cursor="not-a-cursor")
    assert [e["field"] for e in forged.value.errors] == ["cursor"]


def test_categories(connect: Connector) -> None:
    v = connect()
    name = unique("Cat ")
    made = v.incidents.categories.create(name)
    assert isinstance(made, CategoryRead) and made.active and made.version == 1
    assert v.incidents.categories.get(name) == made
    assert name in [c.name for c in v.incidents.categories.list().items]
    since = v.incidents.categories.list(updated_after=made.updated_at, sort="updated_at").items
    assert name in [c.name for c in since]
    with pytest.raises(vigil.Duplicate) as twice:
        v.incidents.categories.create(name)
    assert twice.value.status == 409 and twice.value.type == "urn:vigil:problem:duplicate"
    retired = v.incidents.categories.update(name, active=False, version=made.version)
    assert not retired.active and retired.version == 2
    with pytest.raises(vigil.StaleVersion):
        v.incidents.categories.update(name, active=True, version=made.version)
    with pytest.raises(vigil.Invalid):
        v.incidents.create(title=unique(), category=name)  # retired: new incidents cannot use it
    with pytest.raises(vigil.NotFound):
        v.incidents.categories.get(unique("nope"))
    assert v.incidents.categories.update(name, active=True).active
