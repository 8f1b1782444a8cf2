"""Comments as resources: listed a page at a time, fetched one by one, created with a Location; work notes
stay invisible to requesters everywhere; the timeline's entries carry ids and the actor's id."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories.auth import api_token, make_user
from vigil.app import create_app
from vigil.auth.roles import Role
from vigil.core.actor import Actor
from vigil.core.db import Database

API = "/api/v1/incidents"


@pytest.fixture
def pair(db: Database, session: Session, admin: Actor) -> Iterator[tuple[TestClient, TestClient, str]]:
    """A requester's incident, the requester's client and an agent's client."""
    app = create_app(db)
    with TestClient(app) as requester, TestClient(app) as agent:
        asker = make_user(session, admin, Role.REQUESTER)
        helper = make_user(session, admin, Role.AGENT)
        requester.headers["Authorization"] = f"Bearer {api_token(session, asker.id)}"
        agent.headers["Authorization"] = f"Bearer {api_token(session, helper.id)}"
        number = requester.post(API, json={"title": "VPN drops every hour"}).json()["number"]
        yield requester, agent, number


def test_comments_are_resources_and_work_notes_stay_internal(
    pair: tuple[TestClient, TestClient, str],
) -> None:
    requester, agent, number = pair
    made = agent.post(f"{API}/{number}/comments", json={"body": "Which client version?"})
    assert made.status_code == 201
    comment = made.json()
    assert requester.get(made.headers["Location"]).json() == comment
    assert comment["author_id"] and comment["author_name"] and comment["internal"] is False
    note = agent.post(f"{API}/{number}/comments", json={"body": "Suspect the MTU", "internal": True}).json()
    for i in range(3):
        requester.post(f"{API}/{number}/comments", json={"body": f"Still dropping ({i})"})

    staff = agent.get(f"{API}/{number}/comments", params={"limit": 2, "count": "true"}).json()
    assert staff["count"] == 5 and len(staff["items"]) == 2 and staff["next_cursor"]
    rest = agent.get(f"{API}/{number}/comments", params={"cursor": staff["next_cursor"], "limit": 10}).json()
    bodies = [c["body"] for c in staff["items"] + rest["items"]]
    assert bodies == ["Which client version?", "Suspect the MTU"] + [
        f"Still dropping ({i})" for i in range(3)
    ]

    seen = requester.get(f"{API}/{number}/comments", params={"count": "true"}).json()
    assert seen["count"] == 4 and "Suspect the MTU" not in {c["body"] for c in seen["items"]}
    assert requester.get(f"{API}/{number}/comments/{note['id']}").status_code == 404
    assert agent.get(f"{API}/{number}/comments/{note['id']}").json()["internal"] is True


def test_an_invisible_incidents_comments_are_not_found(
    pair: tuple[TestClient, TestClient, str], db: Database, session: Session, admin: Actor
) -> None:
    requester, agent, number = pair
    other = make_user(session, admin, Role.REQUESTER)
    with TestClient(create_app(db)) as stranger:
        stranger.headers["Authorization"] = f"Bearer {api_token(session, other.id)}"
        made = agent.post(f"{API}/{number}/comments", json={"body": "On it"}).json()
        assert stranger.get(f"{API}/{number}/comments").status_code == 404
        assert stranger.get(f"{API}/{number}/comments/{made['id']}").status_code == 404


def test_timeline_entries_carry_ids_and_actor_ids(pair: tuple[TestClient, TestClient, str]) -> None:
    requester, agent, number = pair
    agent.post(f"{API}/{number}/acknowledge")
    comment = agent.post(f"{API}/{number}/comments", json={"body": "Looking"}).json()
    entries = agent.get(f"{API}/{number}/timeline").json()["items"]
    assert len({e["id"] for e in entries}) == len(entries)
    assert f"comment-{comment['id']}" in {e["id"] for e in entries}
    ack = next(e for e in entries if e["action"] == "incident.acknowledge")
    assert ack["id"].startswith("audit-") and ack["actor_id"] == comment["author_id"]


def test_the_timeline_is_a_page(pair: tuple[TestClient, TestClient, str]) -> None:
    _, agent, number = pair
    for i in range(4):
        agent.post(f"{API}/{number}/comments", json={"body": f"update {i}"})
    whole = agent.get(f"{API}/{number}/timeline", params={"count": "true"}).json()
    assert whole["count"] == len(whole["items"]) == 5 and whole["next_cursor"] is None
    walked, cursor = [], None
    while True:
        page = agent.get(
            f"{API}/{number}/timeline", params={"limit": 2, **({"cursor": cursor} if cursor else {})}
        )
        walked += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert [e["id"] for e in walked] == [e["id"] for e in whole["items"]]
    other = agent.post(API, json={"title": "Another"}).json()["number"]
    first = agent.get(f"{API}/{number}/timeline", params={"limit": 1}).json()["next_cursor"]
    wrong = agent.get(f"{API}/{other}/timeline", params={"cursor": first})
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "cursor"
