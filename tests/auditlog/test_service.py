"""Audit trail use cases: every filter, keyset paging, CSV export, and administrators only."""

from __future__ import annotations

import csv
import dataclasses
import io
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from tests.auditlog.conftest import make_admin
from tests.conftest import Clock
from tests.factories.auth import actor as actor_of
from tests.factories.auth import make_user
from tests.factories.incidents import make_incident
from vigil.auditlog import service
from vigil.auditlog.schemas import AuditFilter
from vigil.auth.roles import Role
from vigil.core import auditseal
from vigil.core.actor import Actor, Channel
from vigil.core.audit import AuditRecord
from vigil.core.errors import Forbidden, Invalid
from vigil.incidents import service as incidents
from vigil.incidents.schemas import IncidentFilter, IncidentNote


def find(session: Session, admin: Actor, **filters: object) -> list[AuditRecord]:
    return service.search(session=session, actor=admin, filters=AuditFilter.model_validate(filters)).items


@pytest.fixture
def trail(session: Session, admin: Actor, frozen_clock: Clock) -> dict[str, object]:
    """create X (api, req-a) at 09:00, create Y (web, req-b) at 10:00, agent acknowledges X (cli) at 11:00."""
    agent_user = make_user(session, admin, Role.AGENT, name="Kim")
    agent = dataclasses.replace(actor_of(session, agent_user), channel=Channel.CLI, request_id="req-c")
    x = make_incident(session, dataclasses.replace(admin, request_id="req-a"), title="Mail queue stuck")
    frozen_clock.advance(hours=1)
    y = make_incident(session, dataclasses.replace(admin, channel=Channel.WEB, request_id="req-b"))
    frozen_clock.advance(hours=1)
    incidents.acknowledge(session=session, actor=agent, ref=x.number, data=IncidentNote())
    return {"x": x, "y": y, "agent": agent_user, "start": frozen_clock.now - timedelta(hours=2)}


def actions(records: list[AuditRecord]) -> list[str]:
    return [r.action for r in records]


def test_action_exact_and_prefix(session: Session, admin: Actor, trail: dict[str, object]) -> None:
    assert actions(find(session, admin, action="incident.")) == [
        "incident.acknowledge",
        "incident.create",
        "incident.create",
    ]
    assert actions(find(session, admin, action="incident.*")) == actions(
        find(session, admin, action="incident.")
    )
    assert actions(find(session, admin, action="incident.create")) == ["incident.create"] * 2
    assert actions(find(session, admin, action="incident.ack*")) == ["incident.acknowledge"]
    assert find(session, admin, action="incident") == []  # no wildcard: exact
    assert find(session, admin, action="incident%") == []  # LIKE characters are literal
    assert actions(find(session, admin, action="user.")) == ["user.create"] * 2  # the admin, the agent


def test_object_actor_channel_and_request(session: Session, admin: Actor, trail: dict[str, object]) -> None:
    x_id = str(trail["x"].id)  # type: ignore[attr-defined]
    on_x = find(session, admin, object_type="incident", object_id=x_id)
    assert actions(on_x) == ["incident.acknowledge", "incident.create"]
    assert find(session, admin, object_id=x_id.upper()) == on_x
    assert find(session, admin, object_type="user", object_id=x_id) == []
    agent_id = str(trail["agent"].id)  # type: ignore[attr-defined]
    assert actions(find(session, admin, actor=agent_id)) == ["incident.acknowledge"]
    assert actions(find(session, admin, actor="kIM")) == ["incident.acknowledge"]  # name, any case
    assert find(session, admin, actor="Nobody") == []
    assert actions(find(session, admin, channel="cli", action="incident.")) == ["incident.acknowledge"]
    assert [r.object_id for r in find(session, admin, channel="web")] == [str(trail["y"].id)]  # type: ignore[attr-defined]
    assert [r.request_id for r in find(session, admin, request_id="req-b")] == ["req-b"]
    assert actions(find(session, admin, actor=str(admin.user_id), channel="api", action="incident.")) == [
        "incident.create"
    ]


def test_time_range_naive_is_utc(session: Session, admin: Actor, trail: dict[str, object]) -> None:
    start = trail["start"]
    naive = start.replace(tzinfo=None)  # type: ignore[attr-defined]
    window = find(
        session,
        admin,
        occurred_after=naive + timedelta(minutes=30),
        occurred_before=naive + timedelta(hours=2),
    )
    assert [r.request_id for r in window] == ["req-b"]  # before is exclusive: 11:00 is out
    last_hour = find(
        session, admin, occurred_after=start + timedelta(hours=2), occurred_before=start + timedelta(hours=3)
    )
    assert actions(last_hour) == ["incident.acknowledge"]  # after is inclusive
    assert find(session, admin, occurred_before="2026-11-02T10:00:00+02:00") == []  # 08:00 UTC


def test_keyset_pages_are_complete_and_stable(session: Session, admin: Actor) -> None:
    for i in range(7):
        make_incident(session, admin, title=f"Printer {i}")
    auditseal.seal(session)
    everything = [r.seq for r in find(session, admin, action="incident.create")]
    seen: list[int] = []
    filters = AuditFilter(action="incident.create", limit=3)
    sizes = []
    while True:
        page = service.search(session=session, actor=admin, filters=filters)
        sizes.append(len(page.items))
        seen += [r.seq for r in page.items]
        if len(sizes) == 1:
            make_incident(session, admin, title="Arrives while paging")  # newer: must not shift pages
        if page.next_cursor is None:
            break
        filters = filters.model_copy(update={"cursor": page.next_cursor})
    assert sizes == [3, 3, 1] and seen == everything == sorted(everything, reverse=True)


def test_bad_cursors_are_invalid(session: Session, admin: Actor) -> None:
    with pytest.raises(Invalid, match="malformed"):
        find(session, admin, cursor="not-a-cursor")
    make_incident(session, admin)
    make_incident(session, admin)
    foreign = incidents.list_incidents(
        session=session, actor=admin, filters=IncidentFilter(limit=1)
    ).next_cursor
    assert foreign is not None
    with pytest.raises(Invalid, match="different list"):
        find(session, admin, cursor=foreign)


def test_export_csv(session: Session, admin: Actor, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "EXPORT_BATCH", 2)  # several batches
    agent = dataclasses.replace(make_admin(session, name="=HYPERLINK(evil)"), request_id="+cmd|calc")
    for i in range(4):
        make_incident(session, agent, title=f"-{i} Zürich")
    auditseal.seal(session)
    lines = list(service.export_csv(session=session, actor=admin, filters=AuditFilter(action="incident.")))
    rows = list(csv.reader(io.StringIO("".join(lines))))
    assert rows[0] == list(service.CSV_COLUMNS) and len(rows) == 5 == len(lines)
    seqs = [int(r[0]) for r in rows[1:]]
    assert seqs == sorted(seqs)  # chain order, oldest first
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["actor_name"].startswith("'=HYPERLINK(evil)") and first["request_id"] == "'+cmd|calc"
    assert first["actor_id"] == str(agent.user_id) and first["action"] == "incident.create"
    assert '"title": [null, "-0 Zürich"]' in first["changes"] and len(first["hash"]) == 64


@pytest.mark.parametrize("role", [Role.REQUESTER, Role.AGENT, Role.CHANGE_MANAGER, Role.MANAGER])
def test_only_admins_read_export_and_verify(session: Session, admin: Actor, role: Role) -> None:
    someone = actor_of(session, make_user(session, admin, role))
    with pytest.raises(Forbidden, match="audit.read"):
        service.search(session=session, actor=someone, filters=AuditFilter())
    with pytest.raises(Forbidden, match="audit.read"):
        service.export_csv(session=session, actor=someone, filters=AuditFilter())  # before any line is read
    with pytest.raises(Forbidden, match="audit.verify"):
        service.verify(session=session, actor=someone)


def test_verify(session: Session, admin: Actor) -> None:
    make_incident(session, admin)
    assert service.verify(session=session, actor=admin).unsealed > 0  # written, not chained yet
    auditseal.seal(session)
    result = service.verify(session=session, actor=admin)
    assert result.ok and result.problem is None and result.checked == len(find(session, admin, limit=500))
