"""`v.notifications` over both transports: an assignment reaches the assignee's inbox; they count,
list and mark it read; another user's notification is NotFound."""

from __future__ import annotations

import pytest

import vigil
from tests.library.conftest import ADMIN, Connector, unique
from vigil.core.errors import NotFound


def test_the_inbox_through_the_library(connect: Connector, database: str) -> None:
    agent, other = connect.user("agent"), connect.user("agent")
    admin = vigil.connect(database, user=ADMIN, migrate=False)
    try:
        title = unique("inbox")
        made = admin.incidents.create(title=title, assigned_to=agent)
        admin.incidents.create(title=unique("other"), assigned_to=other)
        admin.run_jobs()  # the assignment events reach the notifications' handlers
    finally:
        admin.close()
    v, them = connect(agent), connect(other)
    assert v.notifications.unread_count() == 1
    (note,) = v.notifications.list(unread=True).items
    assert note.kind == "assigned" and note.link == f"/incidents/{made.number}" and note.body == title
    (theirs,) = them.notifications.list().items
    with pytest.raises(NotFound):
        v.notifications.mark_read(theirs.id)
    assert v.notifications.mark_read(note.id).read_at is not None
    assert v.notifications.unread_count() == 0 and v.notifications.list(unread=True).items == []
    assert [n.id for n in v.notifications.iterate(limit=1)] == [note.id]
    assert them.notifications.mark_all_read() == 1 and them.notifications.unread_count() == 0
