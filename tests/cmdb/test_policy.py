"""Who may do what in the CMDB: a role x action matrix, and what requesters see."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tests.factories.auth import actor, make_user
from tests.factories.cmdb import make_ci, relate
from tests.factories.incidents import make_incident
from vigil.auth.roles import Role
from vigil.cmdb import service
from vigil.cmdb.schemas import CIClassCreate, CICreate, CIQuery, CIUpdate, ImpactQuery, RelationshipCreate
from vigil.core.actor import Actor
from vigil.core.errors import Forbidden, Invalid, NotFound

ROLES = [Role.REQUESTER, Role.AGENT, Role.CHANGE_MANAGER, Role.MANAGER, Role.CMDB_MANAGER, Role.ADMIN]
KEEPERS = {Role.CMDB_MANAGER, Role.ADMIN}
READERS = {Role.AGENT, Role.CHANGE_MANAGER, Role.MANAGER, Role.CMDB_MANAGER, Role.ADMIN}


def _world(session: Session, admin: Actor) -> None:
    host = make_ci(session, admin, "node-7", ci_class="host")
    svc = make_ci(session, admin, "Payroll", ci_class="business_service")
    make_ci(session, admin, "Old portal", ci_class="business_service", status="retired")
    relate(session, admin, svc, "depends_on", host)


ACTIONS = {
    "create": lambda s, a: service.create(session=s, actor=a, data=CICreate(name="new-one", ci_class="host")),
    "update": lambda s, a: service.update(session=s, actor=a, ref="Payroll", data=CIUpdate(criticality=1)),
    "relate": lambda s, a: service.relate(
        session=s, actor=a, ref="Payroll", data=RelationshipCreate(kind="runs_on", target="node-7")
    ),
    "add_class": lambda s, a: service.create_class(
        session=s, actor=a, data=CIClassCreate(key="printer", label="Printer")
    ),
    "history": lambda s, a: service.history(session=s, actor=a, ref="Payroll"),
}


@pytest.mark.parametrize("role", ROLES, ids=str)
@pytest.mark.parametrize("action", list(ACTIONS))
def test_role_action_matrix(session: Session, admin: Actor, role: Role, action: str) -> None:
    _world(session, admin)
    who = actor(session, make_user(session, admin, role))
    allowed = role in (READERS if action == "history" else KEEPERS)
    if allowed:
        ACTIONS[action](session, who)
    else:
        with pytest.raises(Forbidden):
            ACTIONS[action](session, who)


@pytest.mark.parametrize("role", ROLES, ids=str)
def test_staff_read_every_ci_requesters_the_live_services(session: Session, admin: Actor, role: Role) -> None:
    _world(session, admin)
    who = actor(session, make_user(session, admin, role))
    names = {ci.name for ci in service.page_cis(session=session, actor=who, query=CIQuery()).items}
    if role in READERS:
        assert names == {"node-7", "Payroll", "Old portal"}
    else:
        assert names == {"Payroll"}
        with pytest.raises(NotFound):
            service.get(session=session, actor=who, ref="node-7")
        # What the requester may see of an impact or a relationship list leaves the hidden CIs out.
        down = service.impact(
            session=session, actor=who, ref="Payroll", query=ImpactQuery(direction="downstream")
        )
        assert down.items == []
        assert service.relationships(session=session, actor=who, ref="Payroll") == []
        assert {ci.name for ci in service.list_cis(session=session, actor=who)} == {"Payroll"}


def test_a_requester_cannot_name_a_ci_they_may_not_see(session: Session, admin: Actor) -> None:
    _world(session, admin)
    who = actor(session, make_user(session, admin, Role.REQUESTER))
    with pytest.raises(Invalid) as unknown:
        make_incident(session, who, affected_cis=["node-7"])
    assert unknown.value.detail == "unknown configuration item 'node-7'"
    assert [ci.name for ci in make_incident(session, who, affected_cis=["Payroll"]).affected_cis] == [
        "Payroll"
    ]
