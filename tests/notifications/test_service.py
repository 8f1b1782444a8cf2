"""The inbox: each user reads and marks only their own; the unread count; pages newest first."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.orm import Session

from tests.conftest import Clock
from tests.factories.auth import make_user
from vigil.auth import service as auth_service
from vigil.auth.models import User
from vigil.auth.roles import Role
from vigil.core.actor import Actor, Channel
from vigil.core.errors import Invalid, NotFound
from vigil.notifications import service
from vigil.notifications.models import Kind
from vigil.notifications.schemas import NotificationFilter


def _give(session: Session, user: User, n: int, prefix: str = "note") -> list[uuid.UUID]:
    made = []
    for i in range(n):
        made += service.deliver(
            session=session, user_ids=[user.id], kind=Kind.ASSIGNED, title=f"{prefix} {i}"
        )
    return [m.id for m in made]


@pytest.fixture
def two(session: Session, admin: Actor) -> tuple[User, Actor, User, Actor]:
    alice, bob = make_user(session, admin, Role.REQUESTER), make_user(session, admin, Role.AGENT)
    return alice, auth_service.actor_for(alice, Channel.API), bob, auth_service.actor_for(bob, Channel.API)


def test_each_user_sees_only_their_own(session: Session, two: tuple[User, Actor, User, Actor]) -> None:
    alice, alice_actor, bob, bob_actor = two
    _give(session, alice, 2, "alice")
    (bobs,) = _give(session, bob, 1, "bob")
    titles = [
        n.title for n in service.inbox(session=session, actor=alice_actor, filters=NotificationFilter()).items
    ]
    assert sorted(titles) == ["alice 0", "alice 1"]
    with pytest.raises(NotFound):
        service.mark_read(session=session, actor=alice_actor, notification_id=bobs)
    with pytest.raises(NotFound):
        service.mark_read(session=session, actor=alice_actor, notification_id=uuid.uuid4())
    assert service.mark_all_read(session=session, actor=alice_actor) == 2
    assert service.unread_count(session=session, actor=bob_actor).unread == 1  # untouched by alice's


def test_the_system_actor_has_no_inbox(session: Session, two: tuple[User, Actor, User, Actor]) -> None:
    _give(session, two[0], 1)
    system = auth_service.system_actor()
    assert service.inbox(session=session, actor=system, filters=NotificationFilter()).items == []
    assert service.unread_count(session=session, actor=system).unread == 0


def test_unread_count_mark_read_and_mark_all(
    session: Session, two: tuple[User, Actor, User, Actor], frozen_clock: Clock
) -> None:
    alice, me, _, _ = two
    first, second, third = _give(session, alice, 3)
    assert service.unread_count(session=session, actor=me).model_dump() == {"unread": 3, "capped": False}
    read = service.mark_read(session=session, actor=me, notification_id=first)
    assert read.read_at == frozen_clock.now
    frozen_clock.advance(minutes=5)
    assert service.mark_read(session=session, actor=me, notification_id=first).read_at == read.read_at
    assert service.unread_count(session=session, actor=me).unread == 2
    unread = service.inbox(session=session, actor=me, filters=NotificationFilter(unread=True)).items
    assert {n.id for n in unread} == {second, third}
    assert service.mark_all_read(session=session, actor=me) == 2
    assert service.mark_all_read(session=session, actor=me) == 0
    assert service.unread_count(session=session, actor=me).unread == 0
    assert len(service.inbox(session=session, actor=me, filters=NotificationFilter()).items) == 3


def test_the_inbox_pages_newest_first_with_a_cursor(
    session: Session, two: tuple[User, Actor, User, Actor], frozen_clock: Clock
) -> None:
    alice, me, _, _ = two
    for i in range(5):
        _give(session, alice, 1, f"n{i}")
        frozen_clock.advance(minutes=1)
    page = service.inbox(session=session, actor=me, filters=NotificationFilter(limit=2))
    seen = [n.title for n in page.items]
    while page.next_cursor:
        page = service.inbox(
            session=session, actor=me, filters=NotificationFilter(limit=2, cursor=page.next_cursor)
        )
        seen += [n.title for n in page.items]
    assert seen == ["n4 0", "n3 0", "n2 0", "n1 0", "n0 0"]
    with pytest.raises(Invalid):  # a cursor of the whole list does not continue the unread one
        cursor = service.inbox(session=session, actor=me, filters=NotificationFilter(limit=1)).next_cursor
        service.inbox(session=session, actor=me, filters=NotificationFilter(unread=True, cursor=cursor))
