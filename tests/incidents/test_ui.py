"""Incident web pages through HTTP: the queue and its filters, the create form, the incident page, actions."""

from __future__ import annotations

import html
import re
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.conftest import Clock
from tests.factories.auth import make_team, make_user
from tests.factories.incidents import make_incident
from vigil.auth import service as auth_service
from vigil.auth.roles import Role
from vigil.core.actor import Channel
from vigil.core.db import Database

QUEUE_ROW = re.compile(r'<td[^>]*><a href="/incidents/(INC-\d{6})">')
STATUS = re.compile(r'<span class="badge status-(\w+)">([^<]*)</span>')
ERROR_BANNER = re.compile(r'<p class="banner error" role="alert">([^<]*)</p>')


@pytest.fixture
def client(web_client: TestClient) -> TestClient:
    return web_client


def seed(db: Database, **fields: Any) -> str:
    """An incident created through the service as the administrator; returns its number."""
    with db.unit_of_work() as s:
        return make_incident(s, auth_service.operator_actor(s, Channel.API), **fields).number


def queue(client: TestClient, query: str = "") -> list[str]:
    r = client.get(f"/incidents{query}")
    assert r.status_code == 200, r.text
    return QUEUE_ROW.findall(r.text)


def create(client: TestClient, **form: str) -> str:
    r = client.post("/incidents/new", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    found = re.fullmatch(r"/incidents/(INC-\d{6})\?notice=created", r.headers["location"])
    assert found is not None, r.headers["location"]
    return found.group(1)


def act(client: TestClient, number: str, action: str, **form: str) -> httpx.Response:
    return client.post(f"/incidents/{number}/{action}", data=form, follow_redirects=False)


def version_of(page: str) -> str:
    found = re.search(r'name="version" value="(\d+)"', page)
    assert found is not None
    return found.group(1)


def status_of(page: str) -> str:
    """The status badge in the incident page's header (the first status badge on it)."""
    found = STATUS.search(page)
    assert found is not None
    return found.group(1)


def summary(page: str) -> list[str]:
    """The items of a refused form's error summary at the top of the page."""
    box = re.search(r'<div class="error-summary" role="alert"[^>]*>(.*?)</div>', page, re.S)
    if box is None:
        return []
    return [text(item) for item in re.findall(r"<li>(.*?)</li>", box.group(1), re.S)]


def banners(page: str) -> list[str]:
    """The error banners on a page, as a reader sees them."""
    return [html.unescape(m) for m in ERROR_BANNER.findall(page)]


FIELD_ERROR = re.compile(r'<p class="field-error" id="([\w-]+)-error">([^<]*)</p>')


def field_errors(page: str) -> dict[str, str]:
    """Each field error on a page by its field's id, as a reader sees it."""
    return {name: html.unescape(message) for name, message in FIELD_ERROR.findall(page)}


def field_tag(page: str, field_id: str) -> str:
    """The opening tag of the input, select or textarea with that id."""
    found = re.search(rf'<(?:input|select|textarea)\b[^>]*\bid="{field_id}"[^>]*>', page)
    assert found is not None, field_id
    return found.group(0)


def text(page: str) -> str:
    """The page with tags dropped and entities decoded, whitespace collapsed: what a reader sees."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_queue_lists_incidents_and_filters_them(client: TestClient, db: Database) -> None:
    mail = seed(db, title="Mail delivery delayed", impact="high", urgency="high", category="Infrastructure")
    vpn = seed(db, title="VPN drops every hour", impact="low", urgency="low")
    assert act(client, vpn, "acknowledge").status_code == 303

    page = client.get("/incidents").text
    assert set(QUEUE_ROW.findall(page)) == {mail, vpn}
    assert "Mail delivery delayed" in page and "VPN drops every hour" in page
    assert queue(client, "?status=in_progress") == [vpn]
    assert queue(client, "?status=open") == [mail]
    assert set(queue(client, "?status=open&status=in_progress")) == {mail, vpn}
    assert queue(client, "?priority=P1") == [mail]
    assert queue(client, "?category=Infrastructure") == [mail]
    assert queue(client, "?assigned_to=me") == [vpn]
    assert queue(client, "?assigned_to=none") == [mail]
    assert queue(client, "?q=vpn") == [vpn]
    assert queue(client, "?status=resolved") == []
    assert 'value="in_progress" checked' in client.get("/incidents?status=in_progress").text
    assert "No incidents match these filters." in client.get("/incidents?status=resolved").text


def test_queue_filters_on_dates_assignee_and_group(
    client: TestClient, db: Database, frozen_clock: Clock
) -> None:
    with db.unit_of_work() as s:
        admin = auth_service.operator_actor(s, Channel.API)
        dana = make_user(s, admin, name="dana")
        make_team(s, admin, dana, name="Network")
        old = make_incident(s, admin, title="Old one").number
        frozen_clock.advance(days=2)
        new = make_incident(s, admin, title="New one", assigned_to=dana.email, assignment_group="Network")
        dana_email, new = dana.email, new.number
    assert queue(client, "?created_after=2026-11-03") == [new]
    assert queue(client, "?created_before=2026-11-03") == [old]
    assert 'value="2026-11-03"' in client.get("/incidents?created_after=2026-11-03").text
    assert queue(client, f"?assigned_to={dana_email}") == [new]
    assert queue(client, "?assignment_group=Network") == [new]
    assert queue(client, "?assignment_group=none") == [old]


def test_queue_shows_filter_errors(client: TestClient) -> None:
    r = client.get("/incidents?status=bogus")
    assert r.status_code == 422
    assert re.search(r'<p class="field-error" role="alert">status: Input should be', r.text)
    r = client.get("/incidents?assigned_to=ghost@example.com")
    assert r.status_code == 422
    assert "assigned to: unknown or inactive user 'ghost@example.com'" in text(r.text)


def test_queue_next_page_link_continues_with_the_same_filters(
    client: TestClient, db: Database, frozen_clock: Clock
) -> None:
    numbers = []
    for n in range(3):
        numbers.append(seed(db, title=f"Printer {n} jammed"))
        frozen_clock.advance(minutes=5)
    seed(db, title="Scanner offline")
    first = client.get("/incidents?q=printer&limit=2").text
    assert QUEUE_ROW.findall(first) == [numbers[2], numbers[1]]
    assert 'rel="prev"' not in first
    link = re.search(r'<a class="button" href="([^"]+)" rel="next">', first)
    assert link is not None
    href = html.unescape(link.group(1))
    assert "q=printer" in href and "limit=2" in href and "cursor=" in href
    second = client.get(href).text
    assert QUEUE_ROW.findall(second) == [numbers[0]]
    assert 'rel="next"' not in second
    back = re.search(r'<a class="button" href="([^"]+)" rel="prev">', second)
    assert back is not None
    again = client.get(html.unescape(back.group(1))).text
    assert QUEUE_ROW.findall(again) == [numbers[2], numbers[1]]
    assert 'rel="prev"' not in again


def test_new_form_offers_the_choices(client: TestClient) -> None:
    page = client.get("/incidents/new").text
    assert 'id="title" name="title" required aria-required="true"' in page
    assert re.search(r"<option\s*>Database</option>", page) and "<option selected>Other</option>" in page
    assert re.search(r'<option value="high"\s*>high</option>', page)
    assert '<option value="medium" selected>medium</option>' in page


def test_new_form_shows_an_inline_error_and_keeps_what_was_typed(client: TestClient) -> None:
    form = {"title": "   ", "description": "Users see 502s", "impact": "high", "tags": "web, edge"}
    r = client.post("/incidents/new", data=form)
    assert r.status_code == 422
    assert field_errors(r.text) == {"title": "Enter the title."}
    title = field_tag(r.text, "title")
    assert 'aria-invalid="true"' in title and 'aria-describedby="title-error"' in title
    assert ">Users see 502s</textarea>" in r.text
    assert '<option value="high" selected>high</option>' in r.text
    assert 'value="web, edge"' in r.text
    assert queue(client) == []


def test_new_form_reports_unknown_references_and_missing_priority_reason(client: TestClient) -> None:
    r = client.post("/incidents/new", data={"title": "Disk full", "category": "Nope"})
    assert r.status_code == 422
    assert field_errors(r.text)["category"].startswith("Unknown category 'Nope'; choose one of: ")
    r = client.post("/incidents/new", data={"title": "Disk full", "priority": "P1"})
    assert r.status_code == 422
    assert field_errors(r.text) == {
        "priority_reason": "Enter the reason for the priority override: it is needed when the priority "
        "override is set."
    }
    r = client.post("/incidents/new", data={"title": "Disk full", "impact": "enormous"})
    assert r.status_code == 422
    assert field_errors(r.text) == {"impact": "Impact: choose high, medium or low."}


def test_create_via_form_redirects_to_the_incident_page(client: TestClient) -> None:
    number = create(
        client,
        title="Checkout page returns 500",
        description="Since 09:10.\nAll regions.",
        category="Database",
        impact="high",
        urgency="high",
        tags="Checkout, web",
    )
    page = client.get(f"/incidents/{number}?notice=created").text
    assert f"<title>{number} · Vigil</title>" in page
    assert '<p class="banner notice" role="status">Incident created.</p>' in page
    seen = text(page)
    assert f"{number} Checkout page returns 500" in seen
    assert "Since 09:10.\nAll regions." in page
    assert status_of(page) == "open" and '<span class="badge priority-P1">P1</span>' in page
    assert "Impact / urgency high / high" in seen and "Tags checkout, web" in seen
    assert "Requester Administrator" in seen and "Assignee Unassigned" in seen
    assert queue(client) == [number]


def test_action_forms_move_the_incident_through_its_lifecycle(client: TestClient, db: Database) -> None:
    number = seed(db, title="Payments API slow")
    assert status_of(client.get(f"/incidents/{number}").text) == "open"
    r = act(client, number, "acknowledge", note="Looking into it")
    assert r.headers["location"] == f"/incidents/{number}?notice=acknowledge"
    page = client.get(r.headers["location"]).text
    assert status_of(page) == "in_progress" and ">in progress</span>" in page
    assert "Assignee Administrator" in text(page) and "Acknowledge: Looking into it" in page
    r = act(client, number, "resolve", resolution_code="workaround", resolution_notes="Restarted the pool",
            root_cause="Connection leak")  # fmt: skip
    assert r.status_code == 303
    page = client.get(f"/incidents/{number}").text
    seen = text(page)
    assert status_of(page) == "resolved"
    assert "Resolution workaround Restarted the pool" in seen and "Root cause Connection leak" in seen
    assert "Administrator resolved it (workaround)" in seen and "Status: In progress → Resolved" in seen
    assert act(client, number, "reopen", reason="Slow again at noon").status_code == 303
    page = client.get(f"/incidents/{number}").text
    assert status_of(page) == "in_progress" and "Reopen: Slow again at noon" in page
    assert act(client, number, "resolve", resolution_notes="Pool size raised").status_code == 303
    assert act(client, number, "close", note="Confirmed by caller").status_code == 303
    page = client.get(f"/incidents/{number}").text
    assert status_of(page) == "closed"
    assert 'aria-label="Actions"' not in page
    # A closed incident takes no more lifecycle actions, comments, assignments or files (watching and
    # linking still work: they do not change the incident itself).
    forms = set(re.findall(r'action="/incidents/[^"/]+/([a-z_]+)"', page))
    assert forms <= {"watch", "unwatch", "watchers", "links"}, forms


def test_hold_resume_and_cancel(client: TestClient, db: Database) -> None:
    number = seed(db)
    for action, status in [("acknowledge", "in_progress"), ("hold", "on_hold"), ("resume", "in_progress"),
                           ("cancel", "cancelled")]:  # fmt: skip
        assert act(client, number, action).status_code == 303, action
        assert status_of(client.get(f"/incidents/{number}").text) == status


def test_illegal_action_shows_a_conflict_banner_and_changes_nothing(client: TestClient, db: Database) -> None:
    number = seed(db)
    r = act(client, number, "close", note="done?")
    assert r.status_code == 409
    refusal = f"Cannot close {number}: it is open; allowed actions: acknowledge, resolve, cancel."
    assert summary(r.text) == [refusal]
    assert status_of(r.text) == "open"
    page = client.get(f"/incidents/{number}").text
    assert status_of(page) == "open" and "tl-transition" not in page and "done?" not in page


def test_resolve_without_notes_and_reopen_without_reason_are_refused(
    client: TestClient, db: Database
) -> None:
    number = seed(db)
    r = act(client, number, "resolve", resolution_code="fixed", resolution_notes="  ", root_cause="Bad cable")
    assert r.status_code == 422
    assert field_errors(r.text) == {"resolve-resolution_notes": "Enter the resolution notes."}
    assert summary(r.text) == ["Enter the resolution notes."] and banners(r.text) == []
    assert status_of(r.text) == "open"
    assert ">Bad cable</textarea>" in r.text  # what was typed is still in the form
    act(client, number, "resolve", resolution_notes="Cable replaced")
    r = act(client, number, "reopen", reason="")
    assert r.status_code == 422 and field_errors(r.text) == {"reopen-reason": "Enter the reason to reopen."}
    assert status_of(client.get(f"/incidents/{number}").text) == "resolved"


def test_comments_and_work_notes_appear_in_the_timeline(client: TestClient, db: Database) -> None:
    number = seed(db)
    r = act(client, number, "comment", body="We are on it.\nNext update at 10:00")
    assert r.headers["location"] == f"/incidents/{number}?notice=comment"
    assert act(client, number, "comment", body="Pool exhausted on db-2", internal="on").status_code == 303
    page = client.get(f"/incidents/{number}").text
    comment = re.search(r'<li class="tl-comment">(.*?)</li>', page, re.S)
    note = re.search(r'<li class="tl-work_note">(.*?)</li>', page, re.S)
    assert comment is not None and "We are on it.\nNext update at 10:00" in comment.group(1)
    assert note is not None and "Pool exhausted on db-2" in note.group(1)
    assert "Administrator added a work note internal ·" in text(note.group(1))
    r = act(client, number, "comment", body="")
    assert r.status_code == 422 and field_errors(r.text) == {"comment-body": "Enter the comment."}


def test_assign_form_sets_assignee_and_group(client: TestClient, db: Database) -> None:
    with db.unit_of_work() as s:
        admin = auth_service.operator_actor(s, Channel.API)
        dana = make_user(s, admin, name="dana")
        make_team(s, admin, dana, name="Network")
        number = make_incident(s, admin).number
        email, name = dana.email, dana.display_name
    assert act(client, number, "assign", assigned_to=email, assignment_group="Network").status_code == 303
    seen = text(client.get(f"/incidents/{number}").text)
    assert f"Assignee {name}" in seen and "Group Network" in seen
    r = act(client, number, "assign", assigned_to="ghost@example.com")
    assert r.status_code == 422
    assert field_errors(r.text) == {"assign-assigned_to": "Unknown or inactive user 'ghost@example.com'."}


def test_assignees_offered_are_the_groups_agents_and_assign_to_me(client: TestClient, db: Database) -> None:
    with db.unit_of_work() as s:
        admin = auth_service.operator_actor(s, Channel.API)
        dana = make_user(s, admin, name="dana")
        erik = make_user(s, admin, name="erik")
        make_user(s, admin, Role.REQUESTER, name="rita")
        make_team(s, admin, dana, name="Network")
        number = make_incident(s, admin, assignment_group="Network").number
        dana_name, erik_name = dana.display_name, erik.display_name
    page = client.get(f"/incidents/{number}").text
    offered = re.search(r'<select id="assign-assigned_to" name="assigned_to">(.*?)</select>', page, re.S)
    assert offered is not None and dana_name in offered.group(1)
    assert erik_name not in offered.group(1) and "rita" not in offered.group(1)  # not in Network; a requester
    r = act(client, number, "assign_me", version=version_of(page))
    assert r.headers["location"] == f"/incidents/{number}?notice=assign_me"
    page = client.get(r.headers["location"]).text
    assert "Assignee Administrator" in text(page) and "Group Network" in text(page)  # the group is kept
    assert "Administrator assigned it to themselves" in text(page)
    assert f'action="/incidents/{number}/assign_me"' not in page  # already mine: no button


def test_details_are_edited_in_place(client: TestClient, db: Database) -> None:
    with db.unit_of_work() as s:
        admin = auth_service.operator_actor(s, Channel.API)
        number = make_incident(s, admin, title="Mail slow", tags=["mail"]).number
    page = client.get(f"/incidents/{number}").text
    assert "Edit details" in page
    form = {"title": "Mail delayed by 20 minutes", "description": "Queue at 40k", "impact": "high",
            "urgency": "high", "category": "Other", "tags": "mail, smtp", "affected_cis": "", "version": version_of(page)}  # fmt: skip
    r = act(client, number, "edit", **form)
    assert r.status_code == 303, r.text
    page = client.get(f"/incidents/{number}").text
    seen = text(page)
    assert "Mail delayed by 20 minutes" in seen and "Tags mail, smtp" in seen and "P1" in seen
    assert "Administrator changed title from Mail slow to Mail delayed by 20 minutes" in seen
    assert "added tags smtp" in seen and "changed impact from Medium to High" in seen
    r = act(client, number, "edit", **{**form, "title": "", "version": version_of(page)})
    assert (
        r.status_code == 422
        and "Edit details" in r.text
        and '<details class="card edit-card" open>' in r.text
        and field_errors(r.text) == {"edit-title": "Enter the title."}
    )


def test_unknown_incident_is_a_404_page(client: TestClient) -> None:
    for r in (client.get("/incidents/INC-999999"), act(client, "INC-999999", "acknowledge")):
        assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
        assert "<h1>404 · Not found</h1>" in r.text
        assert "incident INC-999999 not found" in r.text and 'href="/incidents">Back' in r.text


def test_titles_and_notices_are_escaped(client: TestClient) -> None:
    number = create(client, title='<script>alert("x")</script>', description="<b>bold</b>")
    for page in (client.get(f"/incidents/{number}").text, client.get("/incidents").text):
        assert "<script>alert" not in page
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert "<b>bold</b>" not in client.get(f"/incidents/{number}").text
    forged = client.get(f"/incidents/{number}?notice=Your+password+expired").text
    assert "password" not in forged and "banner notice" not in forged


def test_a_form_posted_from_a_stale_page_is_refused_with_the_fresh_page(
    client: TestClient, db: Database
) -> None:
    """Two tabs: the second one's form carries the version its page showed; the change made meanwhile in
    the first is kept and the second is told to look again."""
    number = seed(db)
    stale = re.search(r'name="version" value="(\d+)"', client.get(f"/incidents/{number}").text)
    assert stale is not None
    assert act(client, number, "acknowledge", version=stale.group(1)).status_code == 303  # first tab
    r = act(client, number, "cancel", version=stale.group(1))  # second tab, same old page
    assert r.status_code == 412
    assert "has changed since you read it" in summary(r.text)[0]
    assert status_of(r.text) == "in_progress" == status_of(client.get(f"/incidents/{number}").text)
