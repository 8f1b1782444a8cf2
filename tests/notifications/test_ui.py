"""The bell on every signed-in page and the /notifications page, for staff and for requesters."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from tests.factories.auth import WebClient, login_as, make_user
from vigil.app import create_app
from vigil.auth.models import User
from vigil.auth.roles import Role
from vigil.core.actor import Actor
from vigil.core.db import Database
from vigil.notifications import service
from vigil.notifications.models import Kind

BELL = re.compile(r'<a class="bell" href="/notifications" aria-label="([^"]*)"')


def _bell(html: str) -> str:
    found = BELL.search(html)
    assert found, "no bell on the page"
    return found.group(1)


@pytest.fixture
def requester(session: Session, admin: Actor) -> User:
    return make_user(session, admin, Role.REQUESTER)


@pytest.fixture
def portal(db: Database, session: Session, requester: User) -> Iterator[WebClient]:
    with WebClient(create_app(db)) as client:
        login_as(client, session, requester.id)
        yield client


def test_the_bell_counts_unread_and_hides_the_badge_at_zero(
    web_client: WebClient, session: Session, admin: Actor
) -> None:
    page = web_client.get("/incidents").text
    assert _bell(page) == "Notifications" and "bell-count" not in page
    for i in range(3):
        service.deliver(session=session, user_ids=[admin.user_id], kind=Kind.ASSIGNED, title=f"INC {i}")
    page = web_client.get("/incidents").text
    assert _bell(page) == "Notifications, 3 unread"
    assert '<span class="bell-count" aria-hidden="true">3</span>' in page


def test_no_bell_for_anonymous_pages(db: Database) -> None:
    with WebClient(create_app(db)) as client:
        assert 'class="bell"' not in client.get("/login").text


def test_the_page_lists_newest_first_and_marks_read(
    web_client: WebClient, session: Session, admin: Actor
) -> None:
    other = make_user(session, admin, Role.AGENT)
    old = service.deliver(session=session, user_ids=[admin.user_id], kind=Kind.SLA_BREACH,
                          title="INC-000007 breached its response SLA", link="/incidents/INC-000007")[0]  # fmt: skip
    new = service.deliver(session=session, user_ids=[admin.user_id], kind=Kind.COMMENTED,
                          title="Ann added a comment on INC-000009", body="<b>hi</b>", link="/incidents/INC-000009")[0]  # fmt: skip
    service.deliver(session=session, user_ids=[other.id], kind=Kind.ASSIGNED, title="someone else's")
    old.created_at = old.created_at.replace(year=2020)
    session.flush()
    page = web_client.get("/notifications").text
    assert page.index("INC-000009") < page.index("INC-000007") and "someone else" not in page
    assert '<a href="/incidents/INC-000009">Ann added a comment on INC-000009</a>' in page
    assert "&lt;b&gt;hi&lt;/b&gt;" in page and page.count('class="inbox-item unread') == 2
    assert page.count("Mark read</button>") == 2 and "Mark all read" in page

    r = web_client.post(f"/notifications/{new.id}/read", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/notifications"
    page = web_client.get("/notifications").text
    assert page.count('class="inbox-item unread') == 1 and _bell(page) == "Notifications, 1 unread"
    assert "INC-000009" not in web_client.get("/notifications?unread=true").text

    r = web_client.post("/notifications/read-all?unread=true", follow_redirects=False)
    assert r.headers["location"] == "/notifications?unread=true"
    page = web_client.get("/notifications?unread=true").text
    assert "No unread notifications." in page and "Mark all read" not in page


def test_forms_need_the_csrf_token_and_others_rows_are_404(
    web_client: WebClient, session: Session, admin: Actor
) -> None:
    other = make_user(session, admin, Role.AGENT)
    (mine,) = service.deliver(session=session, user_ids=[admin.user_id], kind=Kind.ASSIGNED, title="mine")
    (theirs,) = service.deliver(session=session, user_ids=[other.id], kind=Kind.ASSIGNED, title="theirs")
    assert web_client.post(f"/notifications/{mine.id}/read", data={"csrf_token": "forged"}).status_code == 403
    assert web_client.post(f"/notifications/{theirs.id}/read").status_code == 404
    assert service.unread_count(session=session, actor=admin).unread == 1


def test_requesters_get_the_page_and_bell_in_the_portal(
    portal: WebClient, session: Session, requester: User
) -> None:
    service.deliver(session=session, user_ids=[requester.id], kind=Kind.COMMENTED,
                    title="Sam replied on INC-000003", link="/incidents/INC-000003")  # fmt: skip
    page = portal.get("/portal").text
    assert _bell(page) == "Notifications, 1 unread" and "My requests" in page
    page = portal.get("/notifications").text
    assert "Sam replied on INC-000003" in page and "My requests" in page and ">Incidents<" not in page
