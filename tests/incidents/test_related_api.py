"""Watchers, typed links and attachments on incidents through the API, with the roles that use them."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories.auth import api_token, make_user
from vigil.app import create_app
from vigil.auth.models import User
from vigil.auth.roles import Role
from vigil.core import attachments
from vigil.core.actor import Actor
from vigil.core.audit import AuditRecord
from vigil.core.db import Database

API = "/api/v1/incidents"


@dataclass
class Desk:
    requester: TestClient
    colleague: TestClient
    agent: TestClient
    asker: User
    friend: User
    number: str


@pytest.fixture
def desk(db: Database, session: Session, admin: Actor) -> Iterator[Desk]:
    """A requester's incident; another requester (the colleague) and an agent, each with a client."""
    app = create_app(db)
    with TestClient(app) as requester, TestClient(app) as colleague, TestClient(app) as agent:
        asker = make_user(session, admin, Role.REQUESTER)
        friend = make_user(session, admin, Role.REQUESTER)
        helper = make_user(session, admin, Role.AGENT)
        for client, user in ((requester, asker), (colleague, friend), (agent, helper)):
            client.headers["Authorization"] = f"Bearer {api_token(session, user.id)}"
        number = requester.post(API, json={"title": "Shared drive is read-only"}).json()["number"]
        yield Desk(requester, colleague, agent, asker, friend, number)


def png(width: int = 800, height: int = 600) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (40, 90, 200)).save(out, "PNG")
    return out.getvalue()


# Watchers


def test_a_watcher_sees_the_incident_and_can_stop_watching(desk: Desk) -> None:
    url = f"{API}/{desk.number}"
    assert desk.colleague.get(url).status_code == 404
    # A requester may not add someone else; staff may.
    refused = desk.requester.post(f"{url}/watchers", json={"user": desk.friend.email})
    assert refused.status_code == 403
    added = desk.agent.post(f"{url}/watchers", json={"user": desk.friend.email})
    assert added.status_code == 201, added.text
    assert added.json()["email"] == desk.friend.email
    assert desk.agent.get(added.headers["Location"]).json() == added.json()
    # Now the colleague sees it, in the list too, and may watch no one but themself.
    assert desk.colleague.get(url).status_code == 200
    assert desk.number in [i["number"] for i in desk.colleague.get(API).json()["items"]]
    again = desk.agent.post(f"{url}/watchers", json={"user": desk.friend.email})
    assert again.status_code == 409 and again.json()["type"] == "urn:vigil:problem:duplicate"
    me = desk.requester.post(f"{url}/watchers")
    assert me.status_code == 201 and me.json()["email"] == desk.asker.email
    listed = desk.requester.get(f"{url}/watchers").json()
    assert [w["email"] for w in listed["items"]] == [desk.friend.email, desk.asker.email]
    assert desk.colleague.delete(f"{url}/watchers/me").status_code == 204
    assert desk.colleague.get(url).status_code == 404
    assert desk.colleague.delete(f"{url}/watchers/me").status_code == 404
    timeline = desk.agent.get(f"{url}/timeline").json()["items"]
    assert [e["changes"] for e in timeline if e["changes"] and "watchers" in e["changes"]] == [
        {"watchers": [None, desk.friend.email]},
        {"watchers": [None, desk.asker.email]},
        {"watchers": [desk.friend.email, None]},
    ]


def test_watchers_of_an_invisible_incident_are_a_404(desk: Desk) -> None:
    url = f"{API}/{desk.number}/watchers"
    assert desk.colleague.get(url).status_code == 404
    assert desk.colleague.post(url).status_code == 404


# Links


def test_links_show_on_both_ends_and_need_staff(desk: Desk) -> None:
    cause = desk.agent.post(API, json={"title": "File server disk full"}).json()["number"]
    url = f"{API}/{desk.number}/links"
    refused = desk.requester.post(url, json={"kind": "caused_by", "target": cause})
    assert refused.status_code in (403, 404)  # the requester cannot see the cause at all
    made = desk.agent.post(url, json={"kind": "caused_by", "target": cause})
    assert made.status_code == 201, made.text
    link = made.json()
    assert (link["kind"], link["other"]["number"]) == ("caused_by", cause)
    assert desk.agent.get(made.headers["Location"]).json() == link
    [back] = desk.agent.get(f"{API}/{cause}/links").json()["items"]
    assert (back["kind"], back["other"]["number"]) == ("causes", desk.number)
    # The requester may not see the cause, so the link is not shown to them at all.
    assert desk.requester.get(url).json()["items"] == []
    dup = desk.agent.post(url, json={"kind": "caused_by", "target": cause})
    assert dup.status_code == 409
    bad = desk.agent.post(url, json={"kind": "blocks", "target": cause})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "kind"
    itself = desk.agent.post(url, json={"kind": "related_to", "target": desk.number})
    assert itself.status_code == 422
    assert desk.requester.delete(f"{url}/{link['id']}").status_code == 403
    assert desk.agent.delete(f"{url}/{link['id']}").status_code == 204
    assert desk.agent.get(url).json()["items"] == []


# Attachments


def test_attachments_are_stored_by_content_and_served_as_downloads(desk: Desk, session: Session) -> None:
    url = f"{API}/{desk.number}/attachments"
    image = png()
    made = desk.requester.post(url, files={"file": ("screen shot.png", image, "image/png")})
    assert made.status_code == 201, made.text
    meta = made.json()
    assert meta["size"] == len(image) and meta["image"] is True and meta["content_type"] == "image/png"
    assert attachments.path_of(meta["sha256"]).read_bytes() == image
    assert desk.agent.get(made.headers["Location"]).json() == meta
    content = desk.agent.get(f"{url}/{meta['id']}/content")
    assert content.content == image
    assert content.headers["content-disposition"].startswith("attachment;")
    assert content.headers["x-content-type-options"] == "nosniff"
    thumb = desk.agent.get(f"{url}/{meta['id']}/thumbnail")
    assert thumb.headers["content-type"] == "image/png"
    assert max(Image.open(io.BytesIO(thumb.content)).size) == 320
    # The same bytes again are one file in the store.
    second = desk.agent.post(url, files={"file": ("copy.png", image, "image/png")}).json()
    assert second["sha256"] == meta["sha256"]
    assert desk.colleague.get(f"{url}/{meta['id']}/content").status_code == 404


def test_active_content_is_never_served_as_itself(desk: Desk) -> None:
    url = f"{API}/{desk.number}/attachments"
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    for name, body, declared in (
        ("logo.svg", svg, "image/svg+xml"),
        ("page.html", b"<script>alert(1)</script>", "text/html"),
    ):
        meta = desk.requester.post(url, files={"file": (name, body, declared)}).json()
        assert meta["content_type"] == "application/octet-stream" and meta["image"] is False
        served = desk.requester.get(f"{url}/{meta['id']}/content")
        assert served.headers["content-type"] == "application/octet-stream"
        assert served.headers["content-disposition"].startswith("attachment;")
        assert desk.requester.get(f"{url}/{meta['id']}/thumbnail").status_code == 404
    text = desk.requester.post(url, files={"file": ("../../etc/notes.txt", b"hello", "text/plain")}).json()
    assert text["filename"] == "notes.txt" and text["content_type"] == "text/plain"


def test_an_upload_over_the_limit_is_a_413_and_keeps_nothing(
    desk: Desk, monkeypatch: pytest.MonkeyPatch, session: Session
) -> None:
    from vigil.core.config import get_settings

    monkeypatch.setattr(get_settings(), "attachment_max_bytes", 1000)
    url = f"{API}/{desk.number}/attachments"
    before = set(Path(attachments.root()).rglob("*")) if attachments.root().exists() else set()
    answer = desk.requester.post(url, files={"file": ("big.bin", b"x" * 1001, "application/octet-stream")})
    assert answer.status_code == 413, answer.text
    assert answer.json()["type"] == "urn:vigil:problem:payload-too-large"
    assert {p for p in Path(attachments.root()).rglob("*") if p.is_file()} <= before
    huge = desk.requester.post(url, files={"file": ("huge.bin", b"x" * (2 * 1024 * 1024), "x/y")})
    assert huge.status_code == 413
    assert desk.requester.get(url).json()["items"] == []


def test_files_on_work_notes_stay_internal_and_deletes_are_audited(desk: Desk, session: Session) -> None:
    url = f"{API}/{desk.number}"
    note = desk.agent.post(f"{url}/comments", json={"body": "Logs attached", "internal": True}).json()
    secret = desk.agent.post(
        f"{url}/attachments",
        files={"file": ("server.log", b"secret stack trace", "text/plain")},
        data={"comment_id": note["id"]},
    ).json()
    assert secret["comment_id"] == note["id"]
    shown = desk.requester.post(
        f"{url}/attachments", files={"file": ("mine.txt", b"mine", "text/plain")}
    ).json()
    assert [a["filename"] for a in desk.requester.get(f"{url}/attachments").json()["items"]] == ["mine.txt"]
    assert desk.requester.get(f"{url}/attachments/{secret['id']}").status_code == 404
    # A requester cannot attach to a work note they cannot read.
    blind = desk.requester.post(
        f"{url}/attachments", files={"file": ("x.txt", b"x", "text/plain")}, data={"comment_id": note["id"]}
    )
    assert blind.status_code == 404
    # The uploader (or staff) deletes; the file leaves the store once nothing refers to it.
    assert desk.colleague.delete(f"{url}/attachments/{shown['id']}").status_code == 404
    assert desk.requester.delete(f"{url}/attachments/{shown['id']}").status_code == 204
    assert not attachments.path_of(shown["sha256"]).exists()
    assert desk.agent.delete(f"{url}/attachments/{secret['id']}").status_code == 204
    deleted = session.scalar(select(func.count()).where(AuditRecord.action == "incident.attachment_delete"))
    assert deleted == 2


# Bulk


def test_bulk_actions_report_each_item_and_keep_the_good_ones(desk: Desk, db: Database) -> None:
    numbers = [desk.agent.post(API, json={"title": f"Printer {i} jammed"}).json()["number"] for i in range(3)]
    hidden = desk.requester.post(API, json={"title": "Mine only"}).json()["number"]
    closed = desk.requester.post(API, json={"title": "Gone"}).json()["number"]
    desk.requester.post(f"{API}/{closed}/cancel")
    refs = [*numbers, "INC-999999", closed]
    answer = desk.agent.post(
        f"{API}/bulk", json={"action": "comment", "refs": refs, "body": "Vendor engineer on site at 14:00"}
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["succeeded"], body["failed"]) == (3, 2)
    by_ref = {r["ref"]: r for r in body["results"]}
    assert by_ref["INC-999999"]["status"] == 404
    assert by_ref[closed]["status"] == 409 and "final" in by_ref[closed]["problem"]["detail"]
    resolved = desk.agent.post(
        f"{API}/bulk",
        json={"action": "resolve", "refs": [*numbers, hidden], "resolution_notes": "Replaced the fuser"},
    ).json()
    assert resolved["succeeded"] == 4
    assert {r["incident"]["status"] for r in resolved["results"]} == {"resolved"}
    # A requester may close their own, but may not resolve: each refusal is reported, nothing else changes.
    mine = desk.requester.post(
        f"{API}/bulk", json={"action": "resolve", "refs": [closed], "resolution_notes": "x"}
    )
    assert mine.json()["results"][0]["status"] == 403
    missing = desk.agent.post(f"{API}/bulk", json={"action": "comment", "refs": numbers})
    assert missing.status_code == 422
    too_many = desk.agent.post(
        f"{API}/bulk", json={"action": "close", "refs": [f"INC-{i:06}" for i in range(101)]}
    )
    assert too_many.status_code == 422


def test_a_refused_upload_leaves_nothing_in_the_store(desk: Desk) -> None:
    content = b"never kept: " + desk.number.encode()
    sha = hashlib.sha256(content).hexdigest()
    # The colleague cannot see the incident; the requester's is cancelled: both refused, nothing stored.
    assert (
        desk.colleague.post(
            f"{API}/{desk.number}/attachments", files={"file": ("a.txt", content)}
        ).status_code
        == 404
    )
    desk.requester.post(f"{API}/{desk.number}/cancel")
    refused = desk.requester.post(f"{API}/{desk.number}/attachments", files={"file": ("a.txt", content)})
    assert refused.status_code == 409
    assert not attachments.path_of(sha).exists()


def test_duplicate_of_is_the_parent_shown_as_a_link_from_both_ends(desk: Desk) -> None:
    master = desk.agent.post(API, json={"title": "Shared drive outage"}).json()["number"]
    url = f"{API}/{desk.number}/links"
    made = desk.agent.post(url, json={"kind": "duplicate_of", "target": master})
    assert made.status_code == 201, made.text
    assert (made.json()["kind"], made.json()["other"]["number"]) == ("duplicate_of", master)
    assert desk.agent.get(f"{API}/{desk.number}").json()["parent"]["number"] == master
    [back] = desk.agent.get(f"{API}/{master}/links").json()["items"]
    assert (back["kind"], back["other"]["number"]) == ("duplicated_by", desk.number)
    # The master is no duplicate itself, and an incident is no duplicate of itself.
    assert (
        desk.agent.post(
            f"{API}/{master}/links", json={"kind": "duplicate_of", "target": desk.number}
        ).status_code
        == 422
    )
    # Removing the link from the master's side clears the duplicate's parent.
    assert desk.agent.delete(f"{API}/{master}/links/{back['id']}").status_code == 204
    assert desk.agent.get(f"{API}/{desk.number}").json()["parent"] is None
    assert desk.agent.get(url).json()["items"] == []
