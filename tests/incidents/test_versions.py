"""Optimistic concurrency: two agents editing one incident from stale reads never silently overwrite each
other. Every single-incident answer carries an ETag; PATCH and every action honour If-Match (or the
body's `version`) with a 412 naming the current version."""

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
def agents(db: Database, session: Session, admin: Actor) -> Iterator[tuple[TestClient, TestClient]]:
    """Two agents, each with their own client and token."""
    app = create_app(db)
    with TestClient(app) as first, TestClient(app) as second:
        for client in (first, second):
            agent = make_user(session, admin, Role.AGENT)
            client.headers["Authorization"] = f"Bearer {api_token(session, agent.id)}"
        yield first, second


def _incident(client: TestClient) -> str:
    made = client.post(API, json={"title": "Checkout latency", "impact": "medium", "urgency": "medium"})
    assert made.status_code == 201, made.text
    assert made.headers["ETag"] == f'"{made.json()["version"]}"'
    return str(made.json()["number"])


def test_the_second_of_two_stale_edits_is_refused_not_lost(agents: tuple[TestClient, TestClient]) -> None:
    anna, ben = agents
    number = _incident(anna)
    read_a, read_b = anna.get(f"{API}/{number}"), ben.get(f"{API}/{number}")
    assert read_a.headers["ETag"] == read_b.headers["ETag"] == f'"{read_a.json()["version"]}"'

    first = anna.patch(
        f"{API}/{number}",
        json={"title": "Checkout latency (EU)"},
        headers={"If-Match": read_a.headers["ETag"]},
    )
    assert first.status_code == 200, first.text
    assert first.headers["ETag"] == f'"{first.json()["version"]}"' != read_a.headers["ETag"]

    second = ben.patch(
        f"{API}/{number}", json={"impact": "high"}, headers={"If-Match": read_b.headers["ETag"]}
    )
    assert second.status_code == 412, second.text
    problem = second.json()
    assert second.headers["content-type"] == "application/problem+json"
    assert problem["type"] == "urn:vigil:problem:stale-version"
    assert problem["version"] == first.json()["version"] and number in problem["detail"]

    now = ben.get(f"{API}/{number}").json()
    assert (
        now["title"] == "Checkout latency (EU)" and now["impact"] == "medium"
    )  # nothing lost, nothing half-done


def test_the_body_version_works_like_if_match(agents: tuple[TestClient, TestClient]) -> None:
    anna, ben = agents
    number = _incident(anna)
    version = anna.get(f"{API}/{number}").json()["version"]
    assert anna.patch(f"{API}/{number}", json={"urgency": "high", "version": version}).status_code == 200
    stale = ben.patch(f"{API}/{number}", json={"urgency": "low", "version": version})
    assert stale.status_code == 412 and stale.json()["version"] == version + 1
    disagree = ben.patch(
        f"{API}/{number}",
        json={"urgency": "low", "version": version + 1},
        headers={"If-Match": f'"{version}"'},
    )
    assert disagree.status_code == 422 and disagree.json()["errors"][0]["field"] == "version"


def test_actions_honour_if_match(agents: tuple[TestClient, TestClient]) -> None:
    anna, ben = agents
    number = _incident(anna)
    etag = anna.get(f"{API}/{number}").headers["ETag"]
    took = anna.post(f"{API}/{number}/acknowledge", headers={"If-Match": etag})
    assert took.status_code == 200 and took.json()["status"] == "in_progress"
    stale = ben.post(
        f"{API}/{number}/resolve", json={"resolution_notes": "restarted"}, headers={"If-Match": etag}
    )
    assert stale.status_code == 412 and stale.json()["type"] == "urn:vigil:problem:stale-version"
    assert ben.get(f"{API}/{number}").json()["status"] == "in_progress"
    fresh = ben.post(
        f"{API}/{number}/resolve",
        json={"resolution_notes": "restarted"},
        headers={"If-Match": took.headers["ETag"]},
    )
    assert fresh.status_code == 200 and fresh.json()["status"] == "resolved"


def test_if_match_forms(agents: tuple[TestClient, TestClient]) -> None:
    anna, _ = agents
    number = _incident(anna)
    assert anna.post(f"{API}/{number}/acknowledge", headers={"If-Match": "*"}).status_code == 200
    version = anna.get(f"{API}/{number}").json()["version"]
    weak = anna.patch(f"{API}/{number}", json={"title": "x"}, headers={"If-Match": f'W/"{version}"'})
    assert weak.status_code == 412  # If-Match compares strongly: a weak tag never matches
    junk = anna.patch(f"{API}/{number}", json={"title": "x"}, headers={"If-Match": "seven"})
    assert junk.status_code == 422 and junk.json()["errors"][0]["field"] == "If-Match"
    listed = anna.patch(f"{API}/{number}", json={"title": "y"}, headers={"If-Match": f'"999", "{version}"'})
    assert listed.status_code == 200  # any tag of a list may match
    gone = anna.patch(f"{API}/{number}", json={"title": "z"}, headers={"If-Match": '"998", "999"'})
    assert gone.status_code == 412
    assert anna.patch(f"{API}/{number}", json={"title": "no check asked"}).status_code == 200


def test_the_openapi_document_declares_etag_and_412(api_client: TestClient) -> None:
    paths = api_client.get("/openapi.json").json()["paths"]
    patch = paths["/api/v1/incidents/{ref}"]["patch"]
    assert "412" in patch["responses"] and "ETag" in patch["responses"]["200"]["headers"]
    assert any(p["name"] == "If-Match" for p in patch["parameters"])
    assert "ETag" in paths["/api/v1/incidents/{ref}"]["get"]["responses"]["200"]["headers"]
    assert "412" in paths["/api/v1/incidents/{ref}/resolve"]["post"]["responses"]
