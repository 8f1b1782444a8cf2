"""The requesters' portal through HTTP: report a problem (with files), my requests, a request's page with the
public conversation only, reply, reopen and withdraw through the services, the redirects, and no internal
field or word anywhere on its pages."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from PIL import Image
from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.conftest import Clock
from tests.factories.auth import WebClient, actor, login_as, make_user
from tests.factories.incidents import make_incident
from tests.incidents.test_ui import field_errors, summary, text
from vigil.app import create_app
from vigil.auth import service as auth_service
from vigil.auth.models import User
from vigil.auth.roles import Role
from vigil.auth.schemas import UserCreate
from vigil.core import attachments as files
from vigil.core.actor import Actor
from vigil.core.db import Database
from vigil.incidents import service
from vigil.incidents.models import Incident, IncidentComment
from vigil.incidents.schemas import CommentCreate, IncidentResolve

#: What a requester's pages never show: the agents' fields and words, record ids, the API.
INTERNAL = [
    re.compile(r"impact", re.I),
    re.compile(r"urgency", re.I),
    re.compile(r"priority", re.I),
    re.compile(r"assign", re.I),
    re.compile(r"\bCIs?\b"),
    re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I),
    re.compile(r"/api/"),
    re.compile(r"/docs"),
    re.compile(r"\bAPI\b"),
    re.compile(r"work note", re.I),
    re.compile(r"/incidents"),
]
PASSWORD = "Portal-Tests-2026!"


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 40, 40)).save(out, "PNG")
    return out.getvalue()


def leaks(page: str) -> list[str]:
    """The internal words or fields found in a portal page's HTML (tags, attributes, hidden inputs)."""
    return [m.group(0) for pattern in INTERNAL for m in [pattern.search(page)] if m]


@dataclass
class Desk:
    db: Database
    session: Session
    admin: Actor
    rita: User
    otto: User
    agent: User
    web: WebClient

    def staff(self) -> Actor:
        return actor(self.session, self.agent)

    def report(self, **form: str) -> str:
        r = self.web.post("/portal/new", data=form, follow_redirects=False)
        assert r.status_code == 303, r.text
        found = re.fullmatch(r"/portal/(INC-\d{6})\?notice=created", r.headers["location"])
        assert found is not None, r.headers["location"]
        return found.group(1)


@pytest.fixture
def desk(db: Database, session: Session, admin: Actor) -> Iterator[Desk]:
    rita = make_user(session, admin, Role.REQUESTER, name="rita")
    otto = make_user(session, admin, Role.REQUESTER, name="otto")
    agent = make_user(session, admin, Role.AGENT, name="sam")
    with WebClient(create_app(db)) as web:
        login_as(web, session, rita.id)
        yield Desk(db, session, admin, rita, otto, agent, web)


def count(db: Database, model: type) -> int:
    with db.unit_of_work() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_report_a_problem_with_a_file_and_see_it_in_my_requests(desk: Desk) -> None:
    form = desk.web.get("/portal/new").text
    assert "How urgent is it for you?" in form and 'enctype="multipart/form-data"' in form
    main = form.split("<main", 1)[1]
    assert [m for m in re.findall(r'name="(\w+)"', main)] == ["csrf_token", "title", "description"] + [
        "how_urgent"
    ] * 3 + ["files"]
    r = desk.web.post(
        "/portal/new",
        data={
            "title": "Laptop will not boot",
            "description": "Black screen after the logo.",
            "how_urgent": "high",
        },
        files=[
            ("files", ("screen.png", png(), "image/png")),
            ("files", ("notes.txt", b"beep beep", "text/plain")),
        ],
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    number = r.headers["location"].split("/")[-1].split("?")[0]
    with desk.db.unit_of_work() as s:
        incident = s.scalars(select(Incident).where(Incident.number == number)).one()
        assert (incident.urgency, incident.impact, incident.requester_id) == ("high", "medium", desk.rita.id)
        stored = files.of(s, "incident", [incident.id])
        assert [a.filename for a in stored] == ["screen.png", "notes.txt"] and stored[0].image
    page = desk.web.get(r.headers["location"]).text
    assert "Thank you — we have your request." in page
    assert "Received" in page and "Black screen after the logo." in page
    assert f'href="/portal/{number}/files/1/screen.png"' in page
    assert f'src="/portal/{number}/files/1/screen.png/preview"' in page
    download = desk.web.get(f"/portal/{number}/files/2/notes.txt")
    assert download.status_code == 200 and download.content == b"beep beep"
    assert "attachment" in download.headers["content-disposition"]
    assert desk.web.get(f"/portal/{number}/files/2/screen.png").status_code == 404  # name must match
    assert desk.web.get(f"/portal/{number}/files/3/x.txt").status_code == 404
    listing = desk.web.get("/portal").text
    assert number in listing and "Laptop will not boot" in listing and "updated" in listing
    assert leaks(page) == [] and leaks(listing) == [] and leaks(form) == []


def test_open_requests_come_first_then_solved_and_closed(desk: Desk, frozen_clock: Clock) -> None:
    done = desk.report(title="Old printer problem")
    frozen_clock.advance(hours=1)
    with desk.db.unit_of_work() as s:
        service.resolve(
            session=s, actor=desk.staff(), ref=done, data=IncidentResolve(resolution_notes="Reset")
        )
    frozen_clock.advance(hours=2)
    current = desk.report(title="VPN drops every hour")
    otto = actor(desk.session, desk.otto)
    with desk.db.unit_of_work() as s:  # someone else's is not listed
        make_incident(s, otto, title="Otto's badge")
    frozen_clock.advance(hours=3)
    page = desk.web.get("/portal").text
    open_part, _, done_part = page.partition("Solved and closed")
    assert current in open_part and done not in open_part and done in done_part
    assert "Otto" not in page
    assert re.search(rf"{current}.*?Received.*?updated <time[^>]*>3 h ago", open_part, re.S)
    assert re.search(rf"{done}.*?Solved.*?updated <time[^>]*>5 h ago", done_part, re.S)
    assert leaks(page) == []


def test_request_page_shows_the_public_conversation_only(desk: Desk) -> None:
    number = desk.report(title="Monitor flickers", description="Since Monday")
    with desk.db.unit_of_work() as s:
        staff = desk.staff()
        service.add_comment(session=s, actor=staff, ref=number, data=CommentCreate(body="Which cable is it?"))
        note = CommentCreate(body="Probably the GPU, warranty expired", internal=True)
        service.add_comment(session=s, actor=staff, ref=number, data=note)
    page = desk.web.get(f"/portal/{number}").text
    assert "Which cable is it?" in page and desk.agent.display_name in page
    assert "GPU" not in page and "warranty" not in page
    assert "Since Monday" in page and "Someone is working on it." not in page  # still "Received"
    assert leaks(page) == [], leaks(page)


def test_someone_elses_request_is_not_found(desk: Desk) -> None:
    otto = actor(desk.session, desk.otto)
    with desk.db.unit_of_work() as s:
        theirs = make_incident(s, otto, title="Otto's badge").number
    missing = desk.web.get(f"/portal/{theirs}")
    assert missing.status_code == 404 and "Back to my requests" in missing.text and leaks(missing.text) == []
    r = desk.web.post(f"/portal/{theirs}/reply", data={"body": "Me too"}, follow_redirects=False)
    assert r.status_code == 404 and "Otto" not in r.text
    assert desk.web.get(f"/portal/{theirs}/files/1/x.png").status_code == 404


def test_reply_adds_a_public_comment_and_refuses_an_empty_one(desk: Desk) -> None:
    number = desk.report(title="Wi-Fi slow")
    r = desk.web.post(
        f"/portal/{number}/reply",
        data={"body": "It is worse after lunch."},
        files=[("files", ("speed.txt", b"2 Mbit/s", "text/plain"))],
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == f"/portal/{number}?notice=comment"
    with desk.db.unit_of_work() as s:
        comment = s.scalars(select(IncidentComment)).one()
        assert (comment.body, comment.internal, comment.author_id) == (
            "It is worse after lunch.",
            False,
            desk.rita.id,
        )
        assert [a.comment_id for a in files.of(s, "incident", [comment.incident_id])] == [comment.id]
    page = desk.web.get(r.headers["location"]).text
    assert (
        "Your reply was sent." in page
        and "It is worse after lunch." in page
        and "<strong>You</strong>" in page
    )
    r = desk.web.post(f"/portal/{number}/reply", data={"body": "  "})
    assert r.status_code == 422
    assert field_errors(r.text) == {"reply-body": "Enter the reply."} and summary(r.text) == [
        "Enter the reply."
    ]
    assert count(desk.db, IncidentComment) == 1


def test_solved_request_offers_it_is_not_fixed_and_reopens_through_the_service(
    desk: Desk, frozen_clock: Clock
) -> None:
    number = desk.report(title="Outlook crashes")
    with desk.db.unit_of_work() as s:
        service.resolve(
            session=s, actor=desk.staff(), ref=number, data=IncidentResolve(resolution_notes="Repaired")
        )
    page = desk.web.get(f"/portal/{number}").text
    assert (
        "Solved — if it is not, tell us below." in page and "It is not fixed" in page and "Repaired" in page
    )
    assert "Yes, it is fixed" in page and "A reply does not reopen the request" in page
    # A reply alone does not reopen it.
    desk.web.post(f"/portal/{number}/reply", data={"body": "Thanks, checking."})
    assert "Solved" in text(desk.web.get(f"/portal/{number}").text)
    # "It is not fixed" needs words, then reopens.
    r = desk.web.post(f"/portal/{number}/reopen", data={"reason": ""})
    assert r.status_code == 422 and summary(r.text) == ["Enter the reason it is not fixed."]
    r = desk.web.post(f"/portal/{number}/reopen", data={"reason": "It crashed again"}, follow_redirects=False)
    assert r.status_code == 303
    page = desk.web.get(r.headers["location"]).text
    assert "Being worked on" in page and "It crashed again" in page and "We are on it again." in page


def test_reopen_past_the_window_is_refused_by_the_service(desk: Desk, frozen_clock: Clock) -> None:
    number = desk.report(title="Outlook crashes")
    with desk.db.unit_of_work() as s:
        service.resolve(
            session=s, actor=desk.staff(), ref=number, data=IncidentResolve(resolution_notes="Repaired")
        )
    frozen_clock.advance(days=8)
    r = desk.web.post(f"/portal/{number}/reopen", data={"reason": "Back again"})
    assert r.status_code == 409
    assert any("reopen window" in item for item in summary(r.text))
    with desk.db.unit_of_work() as s:
        assert s.scalars(select(Incident.status).where(Incident.number == number)).one() == "resolved"


def test_confirm_closes_and_withdraw_cancels(desk: Desk) -> None:
    fixed = desk.report(title="Mouse lag")
    with desk.db.unit_of_work() as s:
        service.resolve(
            session=s, actor=desk.staff(), ref=fixed, data=IncidentResolve(resolution_notes="New mouse")
        )
    assert desk.web.post(f"/portal/{fixed}/confirm", follow_redirects=False).status_code == 303
    page = desk.web.get(f"/portal/{fixed}").text
    assert (
        "Closed" in page and "report a problem" in page and 'action="/portal/' + fixed + '/reply"' not in page
    )
    gone = desk.report(title="Keyboard sticky")
    r = desk.web.post(f"/portal/{gone}/withdraw", data={"note": "it works again"}, follow_redirects=False)
    assert r.status_code == 303
    page = desk.web.get(f"/portal/{gone}").text
    assert "Withdrawn" in page and "Cancel: it works again" in page
    # A withdrawn request takes no more replies: the service refuses, the page says so.
    r = desk.web.post(f"/portal/{gone}/reply", data={"body": "hello?"})
    assert r.status_code == 409 and summary(r.text)
    assert desk.web.post(f"/portal/{gone}/nonsense").status_code == 404


def test_report_form_errors_are_on_their_fields_and_nothing_is_stored(desk: Desk) -> None:
    r = desk.web.post(
        "/portal/new",
        data={"title": " ", "description": "kept", "how_urgent": "yesterday"},
        files=[("files", ("a.txt", b"x", "text/plain"))],
    )
    assert r.status_code == 422
    assert field_errors(r.text) == {
        "title": "Enter the title.",
        "how_urgent": "How urgent it is for you: choose high, medium or low.",
    }
    assert len(summary(r.text)) == 2 and ">kept</textarea>" in r.text
    assert count(desk.db, Incident) == 0 and count(desk.db, files.Attachment) == 0
    # Fields of the agents' form are not taken from a requester's post.
    number = desk.report(title="Screen dim", priority="P1", assignment_group="Network", impact="high")
    with desk.db.unit_of_work() as s:
        made = s.scalars(select(Incident).where(Incident.number == number)).one()
        assert (made.impact, made.priority, made.assignment_group_id) == ("medium", "P3", None)


def test_requesters_are_redirected_to_the_portal(desk: Desk) -> None:
    number = desk.report(title="Printer jams")
    web = desk.web
    for path, target in (
        ("/", "/portal"),
        ("/incidents", "/portal"),
        ("/incidents?status=open", "/portal"),
        ("/incidents/new", "/portal/new"),
        (f"/incidents/{number}", f"/portal/{number}"),
        (f"/incidents/{number}?notice=comment", f"/portal/{number}?notice=comment"),
    ):
        r = web.get(path, follow_redirects=False)
        assert (r.status_code, r.headers["location"]) == (303, target), path


def test_after_login_a_requester_lands_on_the_portal(db: Database, session: Session, admin: Actor) -> None:
    data = UserCreate(email="rose@example.com", display_name="Rose", role=Role.REQUESTER,
                      password=SecretStr(PASSWORD))  # fmt: skip
    auth_service.create_user(session=session, actor=admin, data=data)
    with WebClient(create_app(db)) as web:
        page = web.get("/login")
        token = re.search(r'name="login_csrf" value="([^"]+)"', page.text)
        assert token is not None
        form = {"email": "rose@example.com", "password": PASSWORD, "login_csrf": token.group(1)}
        r = web.post("/login", data=form)  # the login's own target, then the requester's redirect
        assert r.status_code == 200 and str(r.url).endswith("/portal"), r.url
        assert "My requests" in r.text and leaks(r.text) == []


def test_staff_keep_the_agent_pages(desk: Desk) -> None:
    number = desk.report(title="Printer jams")
    with WebClient(create_app(desk.db)) as web:
        login_as(web, desk.session, desk.agent.id)
        assert web.get("/", follow_redirects=False).headers["location"] == "/incidents"
        assert web.get("/incidents", follow_redirects=False).status_code == 200
        for path, target in (("/portal", "/incidents"), ("/portal/new", "/incidents/new"),
                             (f"/portal/{number}", f"/incidents/{number}")):  # fmt: skip
            r = web.get(path, follow_redirects=False)
            assert (r.status_code, r.headers["location"]) == (303, target), path


def test_requester_top_bar_has_no_agent_links(desk: Desk) -> None:
    for path in ("/portal", "/portal/new", "/account"):
        page = desk.web.get(path).text
        bar = page.split("<main", 1)[0]
        assert "My requests" in bar and "Report a problem" in bar and "Log out" in bar, path
        assert 'href="/incidents' not in bar and 'href="/docs"' not in bar and "Audit" not in bar, path
    assert "Keyboard shortcuts" not in desk.web.get("/portal").text
