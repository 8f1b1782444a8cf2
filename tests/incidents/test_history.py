"""The timeline in words: one sentence per recorded change, people by name, fields by label."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories.auth import make_team, make_user
from vigil.core.actor import Actor
from vigil.incidents.service.history import describe

NAMES = {"sam@example.com": "Sam Agent", "ada@example.com": "Ada Admin"}


def test_lifecycle_and_field_changes_read_as_sentences() -> None:
    took = describe(
        "incident.update",
        {"status": ["open", "in_progress"], "assigned_to": [None, "sam@example.com"]},
        NAMES,
        actor_email="sam@example.com",
    )
    assert took == "set status In progress and assigned it to themselves"
    assert describe("incident.update", {"assigned_to": [None, "sam@example.com"]}, NAMES) == (
        "assigned it to Sam Agent"
    )
    assert (
        describe("incident.update", {"assigned_to": ["sam@example.com", None]}, NAMES)
        == "unassigned Sam Agent"
    )
    assert (
        describe(
            "incident.resolve",
            {"status": ["in_progress", "resolved"], "resolution_code": [None, "workaround"]},
            NAMES,
        )
        == "resolved it (workaround)"
    )
    assert describe("incident.hold", {"status": ["in_progress", "on_hold"]}, NAMES) == "put it on hold"
    assert (
        describe("incident.update", {"priority": ["P3", "P1"], "impact": ["medium", "high"]}, NAMES)
        == "changed priority from P3 to P1 and changed impact from Medium to High"
    )
    assert describe("incident.update", {"tags": [["a"], ["a", "b"]]}, NAMES) == "added tags b"
    assert describe("incident.update", {"description": ["old", "new"]}, NAMES) == "edited the description"
    assert describe("incident.watcher_add", {"watchers": [None, "ada@example.com"]}, NAMES) == (
        "added Ada Admin as a watcher"
    )
    linked = describe(
        "link.add", {"caused_by": [None, "INC-000009"]}, NAMES, link_kinds=frozenset({"caused_by"})
    )
    assert linked == "linked it (caused by) to INC-000009"
    assert describe("incident.create", {"title": [None, "x"]}, NAMES) == "reported it"


def test_the_api_timeline_carries_the_summary_with_names(
    api_client: TestClient, session: object, admin: Actor
) -> None:
    agent = make_user(session, admin, name="bogdan")  # type: ignore[arg-type]
    make_team(session, admin, agent, name="NOC")  # type: ignore[arg-type]
    session.commit()  # type: ignore[attr-defined]
    n = api_client.post("/api/v1/incidents", json={"title": "Disk full"}).json()["number"]
    r = api_client.patch(
        f"/api/v1/incidents/{n}", json={"assigned_to": agent.email, "assignment_group": "NOC"}
    )
    assert r.status_code == 200
    entries = api_client.get(f"/api/v1/incidents/{n}/timeline").json()["items"]
    assert [e["summary"] for e in entries] == [
        "reported it",
        f"assigned it to {agent.display_name} and set group NOC",
    ]
