"""The users, teams and CIs facets' contract, in-process and over HTTP on each backend."""

from __future__ import annotations

import pytest

import vigil
from tests.library.conftest import ADMIN, Connector, unique
from vigil.auth.schemas import TeamRead, UserPage, UserRead
from vigil.client import Vigil
from vigil.cmdb.schemas import CIPage, CIRead


def test_users(connect: Connector) -> None:
    v = connect()
    me = v.users.me()
    assert isinstance(me, UserRead) and me.email == ADMIN and me.role == "admin"
    email = f"Dana-{unique()}@Example.com"
    dana = v.users.create(email=email, display_name="Dana", role="agent", password="correct horse battery")
    assert dana.email == email.lower() and dana.role == "agent" and dana.active and dana.version == 1
    assert v.users.get(dana.email) == dana == v.users.get(dana.id)
    with pytest.raises(vigil.Duplicate):
        v.users.create(email=email, display_name="Dana again")
    with pytest.raises(vigil.Invalid) as bad:
        v.users.create(email="not an email", display_name="x")
    assert [e["field"] for e in bad.value.errors] == ["email"]
    promoted = v.users.update(dana.email, role="manager", version=dana.version)
    assert promoted.role == "manager" and promoted.version == 2
    with pytest.raises(vigil.StaleVersion) as stale:
        v.users.update(dana.email, display_name="Dana D.", version=dana.version)
    assert stale.value.extra["version"] == 2
    with pytest.raises(vigil.Conflict):
        v.users.update(ADMIN, active=False)  # not yourself
    page = v.users.list(limit=1, count=True)
    assert isinstance(page, UserPage) and len(page.items) == 1 and page.count and page.count >= 2
    assert dana.email in [u.email for u in v.users.iterate(limit=2)]
    changed = v.users.list(updated_after=promoted.updated_at, sort="updated_at").items  # a sync client
    assert dana.email in [u.email for u in changed]
    with pytest.raises(vigil.NotFound):
        v.users.get(f"{unique()}@example.com")
    dana_self = connect(dana.email)
    assert dana_self.users.me().email == dana.email
    with pytest.raises(vigil.Forbidden):
        dana_self.users.create(email=f"{unique()}@example.com", display_name="nope")


def test_a_requester_sees_only_themself(connect: Connector) -> None:
    email = connect.user("requester")
    requester = connect(email)
    assert [u.email for u in requester.users.iterate()] == [email]
    with pytest.raises(vigil.NotFound):
        requester.users.get(ADMIN)


def test_teams(v: Vigil) -> None:
    members = [v.users.create(email=f"m-{unique()}@example.com", display_name=f"M{n}") for n in range(2)]
    name = unique("Network ")
    team = v.teams.create(name=name, members=[members[0].email], manager=members[1].email)
    assert isinstance(team, TeamRead) and [m.email for m in team.members] == [members[0].email]
    assert team.manager is not None and team.manager.email == members[1].email
    assert v.teams.get(name) == team == v.teams.get(team.id)
    renamed = v.teams.update(
        name, name=f"{name} 2", members=[m.email for m in members], manager=None, version=team.version
    )
    assert renamed.name == f"{name} 2" and renamed.manager is None and len(renamed.members) == 2
    with pytest.raises(vigil.StaleVersion):
        v.teams.update(renamed.id, name=name, version=team.version)
    with pytest.raises(vigil.Duplicate):
        v.teams.create(name=f"{name} 2")
    with pytest.raises(vigil.Invalid):
        v.teams.create(name=unique(), members=["nobody@nowhere.example"])
    assert renamed.name in [t.name for t in v.teams.iterate(limit=1)]
    with pytest.raises(vigil.NotFound):
        v.teams.get(unique("team"))


def test_cis(v: Vigil) -> None:
    word = unique("ci")
    made = [v.cis.create(name=f"{word}-{n}", ci_class="database") for n in range(3)]
    assert all(isinstance(c, CIRead) and c.status == "active" and c.version == 1 for c in made)
    assert v.cis.get(made[0].name) == made[0] == v.cis.get(made[0].id)
    page = v.cis.list(q=word, limit=2)
    assert isinstance(page, CIPage) and [c.name for c in page.items] == [f"{word}-0", f"{word}-1"]
    assert [c.name for c in v.cis.iterate(q=word, limit=2)] == [c.name for c in made]
    by_change = v.cis.iterate(q=word, sort="updated_at", updated_after=made[1].updated_at)
    assert [c.name for c in by_change] == [c.name for c in made[1:]]
    with pytest.raises(vigil.Duplicate):
        v.cis.create(name=made[0].name, ci_class="database")
    with pytest.raises(vigil.NotFound):
        v.cis.get(unique("ci"))
    inc = v.incidents.create(title=unique(), affected_cis=[made[1].name])
    assert [c.name for c in inc.affected_cis] == [made[1].name]
