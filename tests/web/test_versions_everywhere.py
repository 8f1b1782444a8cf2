"""Users, teams, CIs and categories carry versions like incidents: an ETag on every single-object answer,
If-Match (or `version` in the body) on their PATCH, a 412 for a stale copy; a change only of a team's
members moves its version too."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

EDITS = [
    (
        "/api/v1/users",
        {"email": "kim@example.com", "display_name": "Kim"},
        "kim@example.com",
        {"display_name": "Kim L."},
    ),
    ("/api/v1/teams", {"name": "Storage"}, "Storage", {"manager": "admin@vigil.example"}),
    ("/api/v1/incident-categories", {"name": "Storage"}, "Storage", {"active": False}),
]


@pytest.mark.parametrize(("path", "create", "ref", "change"), EDITS, ids=["users", "teams", "categories"])
def test_a_stale_patch_is_refused(
    api_client: TestClient, path: str, create: dict, ref: str, change: dict
) -> None:  # type: ignore[type-arg]
    made = api_client.post(path, json=create)
    assert made.status_code == 201 and made.headers["ETag"] == f'"{made.json()["version"]}"'
    got = api_client.get(f"{path}/{ref}")
    assert got.headers["ETag"] == made.headers["ETag"]
    first = api_client.patch(f"{path}/{ref}", json=change, headers={"If-Match": got.headers["ETag"]})
    assert first.status_code == 200, first.text
    assert first.headers["ETag"] == f'"{first.json()["version"]}"' != got.headers["ETag"]
    stale = api_client.patch(f"{path}/{ref}", json=change, headers={"If-Match": got.headers["ETag"]})
    assert stale.status_code == 412 and stale.json()["type"] == "urn:vigil:problem:stale-version"
    assert stale.json()["version"] == first.json()["version"]
    by_body = api_client.patch(f"{path}/{ref}", json={**change, "version": got.json()["version"]})
    assert by_body.status_code == 412


def test_a_ci_has_an_etag(api_client: TestClient) -> None:
    made = api_client.post("/api/v1/cis", json={"name": "db-1"})
    assert api_client.get("/api/v1/cis/db-1").headers["ETag"] == made.headers["ETag"] == '"1"'


def test_changing_only_members_moves_a_teams_version(api_client: TestClient) -> None:
    api_client.post(
        "/api/v1/users", json={"email": "kim@example.com", "display_name": "Kim", "role": "agent"}
    )
    team = api_client.post("/api/v1/teams", json={"name": "Storage"}).json()
    changed = api_client.patch("/api/v1/teams/Storage", json={"members": ["kim@example.com"]}).json()
    assert changed["version"] == team["version"] + 1 and [m["email"] for m in changed["members"]] == [
        "kim@example.com"
    ]
