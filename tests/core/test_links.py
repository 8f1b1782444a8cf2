"""Typed links between records: shown on both ends, always through the other end's visibility."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tests.factories.auth import actor, make_user
from tests.factories.incidents import make_incident
from vigil import domains
from vigil.auth.roles import Role
from vigil.core import links
from vigil.core.actor import Actor
from vigil.core.errors import Conflict, Invalid, NotFound
from vigil.incidents.links import ref_of


@pytest.fixture(autouse=True)
def _registered() -> None:
    domains.load()  # incidents register themselves as link targets


def test_links_show_on_both_ends_with_the_inverse_name(session: Session, admin: Actor) -> None:
    a, b = make_incident(session, admin, title="A"), make_incident(session, admin, title="B")
    links.add(
        session, admin, source=ref_of(a), kind_name="related_to", target_type="incident", target_ref=b.number
    )
    [out] = links.links_of(session, admin, ref_of(a))
    [back] = links.links_of(session, admin, ref_of(b))
    assert (out.kind, out.other.number) == ("related_to", b.number)
    assert (back.kind, back.other.number) == ("related_to", a.number)


def test_an_invisible_other_end_is_never_shown_nor_linkable(session: Session, admin: Actor) -> None:
    requester = actor(session, make_user(session, admin, Role.REQUESTER))
    mine = make_incident(session, requester, title="Mine")
    secret = make_incident(session, admin, title="Secret outage")
    link = links.add(
        session,
        admin,
        source=ref_of(mine),
        kind_name="related_to",
        target_type="incident",
        target_ref=secret.number,
    )
    assert links.links_of(session, requester, ref_of(mine)) == []
    assert [x.other.title for x in links.links_of(session, admin, ref_of(mine))] == ["Secret outage"]
    with pytest.raises(NotFound):  # the requester cannot name a record they cannot see
        links.add(
            session, requester, source=ref_of(mine), kind_name="related_to", target_type="incident",
            target_ref=secret.number,
        )  # fmt: skip
    with pytest.raises(NotFound):
        links.remove(session, requester, source=ref_of(mine), link_id=link.id)
    links.remove(session, admin, source=ref_of(mine), link_id=link.id)
    assert links.links_of(session, admin, ref_of(mine)) == []


def test_bad_links_are_refused(session: Session, admin: Actor) -> None:
    a, b = make_incident(session, admin, title="A"), make_incident(session, admin, title="B")
    src = ref_of(a)
    with pytest.raises(Invalid, match="itself"):
        links.add(
            session, admin, source=src, kind_name="related_to", target_type="incident", target_ref=a.number
        )
    with pytest.raises(Invalid, match="unknown link kind"):
        links.add(session, admin, source=src, kind_name="blames", target_type="incident", target_ref=b.number)
    with pytest.raises(Invalid, match="cannot be related_to unicorn"):
        links.add(session, admin, source=src, kind_name="related_to", target_type="unicorn", target_ref="x")
    links.add(session, admin, source=src, kind_name="related_to", target_type="incident", target_ref=b.number)
    with pytest.raises(Conflict):
        links.add(
            session, admin, source=src, kind_name="related_to", target_type="incident", target_ref=b.id.hex
        )
