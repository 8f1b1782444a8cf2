"""The incident forms refuse bad input all at once, on their fields, in plain words; the caller field."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories.auth import WebClient, actor, login_as, make_user
from tests.factories.incidents import make_incident
from tests.incidents.test_ui import act, field_errors, field_tag, seed, summary, text
from vigil.app import create_app
from vigil.auth.roles import Role
from vigil.core.actor import Actor
from vigil.core.db import Database
from vigil.incidents.models import Incident, IncidentComment


def incidents(db: Database) -> int:
    with db.unit_of_work() as s:
        return int(s.scalar(select(func.count()).select_from(Incident)) or 0)


def comments(db: Database) -> list[str]:
    with db.unit_of_work() as s:
        return list(s.scalars(select(IncidentComment.body)))


def test_create_form_shows_every_error_at_once_on_its_field(web_client: WebClient, db: Database) -> None:
    form = {"title": " ", "impact": "enormous", "urgency": "soon", "priority": "P1", "tags": "ok, " + "x" * 60,
            "assigned_to": "ghost@example.com", "description": "Keep me"}  # fmt: skip
    r = web_client.post("/incidents/new", data=form)
    assert r.status_code == 422
    errors = field_errors(r.text)
    assert errors == {
        "title": "Enter the title.",
        "impact": "Impact: choose high, medium or low.",
        "urgency": "Urgency: choose high, medium or low.",
        "priority_reason": "Enter the reason for the priority override: it is needed when the priority "
        "override is set.",
        "tags": "Entry 2 of tags can be at most 50 characters long.",
    }
    # Plain words only: no Pydantic phrasing and no raw field names.
    for message in errors.values():
        assert "Input should" not in message and "Field required" not in message and "_" not in message
    # The summary lists them all, each a link to its field; each field points at its message.
    assert sorted(summary(r.text)) == sorted(errors.values())
    for name in errors:
        assert f'href="#{name}"' in r.text
        tag = field_tag(r.text, name)
        assert 'aria-invalid="true"' in tag and f'aria-describedby="{name}-error"' in tag
    assert ">Keep me</textarea>" in r.text and incidents(db) == 0


def test_create_form_puts_a_service_refusal_on_its_field(web_client: WebClient, db: Database) -> None:
    r = web_client.post("/incidents/new", data={"title": "Disk full", "assignment_group": "Nobody"})
    assert r.status_code == 422
    assert field_errors(r.text) == {"assignment_group": "Unknown team 'Nobody'."}
    r = web_client.post("/incidents/new", data={"title": "Disk full", "affected_cis": "no-such-ci"})
    assert field_errors(r.text) == {"affected_cis": "Unknown configuration item 'no-such-ci'."}
    assert incidents(db) == 0


def test_required_fields_are_marked(web_client: WebClient, db: Database) -> None:
    new = web_client.get("/incidents/new").text
    assert '<label for="title">Title <span class="req" aria-hidden="true">*</span></label>' in new
    assert 'aria-required="true"' in field_tag(new, "title")
    assert "marks a required field" in new
    assert 'aria-required="true"' not in field_tag(new, "description")
    number = seed(db)
    page = web_client.get(f"/incidents/{number}").text
    for field_id in ("edit-title", "comment-body", "resolve-resolution_notes"):
        tag = field_tag(page, field_id)
        assert "required" in tag and 'aria-required="true"' in tag, field_id


def test_caller_field_for_staff_defaults_to_themselves_and_logs_for_the_caller(
    db: Database, session: Session, admin: Actor
) -> None:
    agent = make_user(session, admin, Role.AGENT, name="sam")
    caller = make_user(session, admin, Role.REQUESTER, name="carla")
    with WebClient(create_app(db)) as web:
        login_as(web, session, agent.id)
        new = web.get("/incidents/new").text
        tag = field_tag(new, "requester")
        assert 'type="email"' in tag and 'list="people"' in tag and f'value="{agent.email}"' in tag
        assert '<label for="requester">Caller (requester)</label>' in new
        assert f'<option value="{caller.email}">{caller.display_name}</option>' in new  # the datalist
        r = web.post(
            "/incidents/new",
            data={"title": "Printer jams", "requester": caller.email},
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
        assert f"Requester {caller.display_name}" in text(web.get(r.headers["location"]).text)
        r = web.post("/incidents/new", data={"title": "Printer jams", "requester": "nobody@example.com"})
        assert r.status_code == 422
        assert field_errors(r.text) == {"requester": "Unknown or inactive user 'nobody@example.com'."}
        assert 'value="nobody@example.com"' in field_tag(r.text, "requester")  # kept to correct
        # Left as it is, the caller is the agent.
        r = web.post(
            "/incidents/new",
            data={"title": "My own laptop", "requester": agent.email},
            follow_redirects=False,
        )
        assert f"Requester {agent.display_name}" in text(web.get(r.headers["location"]).text)


def test_requesters_get_no_caller_field(db: Database, session: Session, admin: Actor) -> None:
    rita = make_user(session, admin, Role.REQUESTER, name="rita")
    other = make_user(session, admin, Role.REQUESTER, name="otto")
    with WebClient(create_app(db)) as web:
        login_as(web, session, rita.id)
        new = web.get("/incidents/new").text
        assert 'name="requester"' not in new and "Caller" not in new and other.email not in new
        # Posting one anyway is refused on the form, and nothing is created for someone else.
        r = web.post("/incidents/new", data={"title": "VPN", "requester": other.email})
        assert r.status_code == 403 and summary(r.text) and incidents(db) == 0


def test_every_incident_page_form_puts_its_errors_on_its_fields(web_client: WebClient, db: Database) -> None:
    number = seed(db)
    r = act(web_client, number, "edit", title="", impact="huge", urgency="high", category="Other")
    assert r.status_code == 422
    assert field_errors(r.text) == {
        "edit-title": "Enter the title.",
        "edit-impact": "Impact: choose high, medium or low.",
    }
    assert len(summary(r.text)) == 2 and "edit-title" in r.text
    r = act(web_client, number, "assign", assignment_group="Nobody")
    assert field_errors(r.text) == {"assign-assignment_group": "Unknown team 'Nobody'."}
    r = act(web_client, number, "resolve", resolution_code="magic", resolution_notes="")
    assert field_errors(r.text) == {
        "resolve-resolution_code": "Resolution code: choose fixed, workaround, not reproducible, duplicate, "
        "resolved by caller or known error.",
        "resolve-resolution_notes": "Enter the resolution notes.",
    }
    r = act(web_client, number, "acknowledge", note="x" * 20001)
    assert field_errors(r.text) == {"acknowledge-note": "Note can be at most 20000 characters long."}
    r = act(web_client, number, "cancel", note="x" * 20001)
    assert field_errors(r.text) == {"cancel-note": "Note can be at most 20000 characters long."}
    assert '<details class="stack danger-zone" open>' in r.text
    with db.unit_of_work() as s:
        assert s.scalar(select(Incident.status).where(Incident.number == number)) == "open"


def test_a_work_note_flag_that_is_neither_yes_nor_no_is_refused(web_client: WebClient, db: Database) -> None:
    number = seed(db)
    r = act(web_client, number, "comment", body="Rebooted db-2", internal="maybe")
    assert r.status_code == 422
    assert field_errors(r.text) == {"comment-internal": "Work note must be yes or no; “maybe” is neither."}
    assert ">Rebooted db-2</textarea>" in r.text  # what was typed is kept
    assert comments(db) == []
    assert act(web_client, number, "comment", body="Rebooted db-2", internal="on").status_code == 303
    assert comments(db) == ["Rebooted db-2"]


def test_invalid_utf8_in_a_form_or_query_is_refused_and_nothing_is_stored(
    web_client: WebClient, db: Database
) -> None:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    body = b"csrf_token=" + web_client.csrf.encode() + b"&title=Caf%E9+down&description=ok"
    r = web_client.post("/incidents/new", content=body, headers=headers)
    assert r.status_code == 422
    assert "“Title” contains text that is not valid UTF-8, so nothing was saved." in text(r.text)
    assert incidents(db) == 0
    number = seed(db)
    body = b"csrf_token=" + web_client.csrf.encode() + b"&body=%C3%28"
    r = web_client.post(f"/incidents/{number}/comment", content=body, headers=headers)
    assert r.status_code == 422 and "“Comment” contains text that is not valid UTF-8" in text(r.text)
    assert comments(db) == []
    assert web_client.get("/incidents?q=%FF").status_code == 422
    assert web_client.get("/incidents?q=%C3%A9").status_code == 200  # é, properly encoded


def test_invalid_utf8_in_an_api_query_names_the_parameter(api_client: WebClient) -> None:
    r = api_client.get("/api/v1/incidents?q=%FFx")
    assert r.status_code == 422, r.text
    assert r.json()["errors"] == [
        {"field": "q", "message": "q: not valid UTF-8 text; send text encoded as UTF-8"}
    ]


def test_staff_comment_form_requires_a_body_even_from_a_requester(
    db: Database, session: Session, admin: Actor
) -> None:
    rita = make_user(session, admin, Role.REQUESTER, name="rita")
    number = make_incident(session, actor(session, rita)).number
    with WebClient(create_app(db)) as web:
        login_as(web, session, rita.id)
        r = act(web, number, "comment", body="  ")
        assert r.status_code == 422 and field_errors(r.text) == {"comment-body": "Enter the comment."}


def _multipart(*parts: tuple[str, bytes, str | None]) -> tuple[bytes, dict[str, str]]:
    """A multipart/form-data body from (name, bytes, filename or None) parts, built by hand so that a
    text part can carry bytes that are not UTF-8 (an HTTP library would encode a str for us)."""
    chunks = []
    for name, data, filename in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        head = f"--XyZ\r\nContent-Disposition: {disposition}\r\n"
        head += "Content-Type: application/octet-stream\r\n\r\n" if filename else "\r\n"
        chunks.append(head.encode() + data + b"\r\n")
    return b"".join(chunks) + b"--XyZ--\r\n", {"Content-Type": "multipart/form-data; boundary=XyZ"}


def test_multipart_text_fields_must_be_utf8_but_files_are_bytes(
    api_client: WebClient, web_client: WebClient, db: Database
) -> None:
    number = seed(db)
    binary = b"\xff\xfe\x00\x01 any bytes at all"
    body, headers = _multipart(("comment_id", b"Caf\xe9", None), ("file", binary, "dump.bin"))
    r = api_client.post(f"/api/v1/incidents/{number}/attachments", content=body, headers=headers)
    assert r.status_code == 422, r.text
    assert r.json()["errors"] == [
        {"field": "comment_id", "message": "comment_id: not valid UTF-8 text; send text encoded as UTF-8"}
    ]
    body, headers = _multipart(("comment_id", b"a\x00b", None), ("file", binary, "dump.bin"))
    r = api_client.post(f"/api/v1/incidents/{number}/attachments", content=body, headers=headers)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "comment_id"
    assert api_client.get(f"/api/v1/incidents/{number}/attachments").json()["items"] == []
    body, headers = _multipart(("file", binary, "dump.bin"))  # a file's bytes are never judged as text
    r = api_client.post(f"/api/v1/incidents/{number}/attachments", content=body, headers=headers)
    assert r.status_code == 201 and api_client.get(r.headers["location"]).json()["size"] == len(binary)
    # A page's multipart form: its CSRF token is a text field like any other.
    body, headers = _multipart(
        ("csrf_token", web_client.csrf.encode() + b"\xe9", None), ("file", b"x", "a.txt")
    )
    r = web_client.post(f"/incidents/{number}/attachments", content=body, headers=headers)
    assert r.status_code == 422 and "contains text that is not valid UTF-8" in text(r.text)
