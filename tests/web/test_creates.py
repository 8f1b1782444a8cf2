"""Every create answers 201 with a Location a GET can follow, and takes an Idempotency-Key: a retry
with the same key and body replays the first answer; the same key with another body is a 409."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.factories.incidents import as_stored

CREATES = [
    ("/api/v1/incidents", {"title": "Disk full on db-1"}, {"title": "Disk full on db-2"}),
    (
        "/api/v1/users",
        {"email": "kim@example.com", "display_name": "Kim"},
        {"email": "lee@example.com", "display_name": "Lee"},
    ),
    ("/api/v1/teams", {"name": "Storage"}, {"name": "Network"}),
    ("/api/v1/cis", {"name": "db-1"}, {"name": "db-2"}),
    ("/api/v1/incident-categories", {"name": "Storage"}, {"name": "Network"}),
    (
        "/api/v1/sla/calendars",
        {"name": "Weekdays", "week": [[[540, 1020]]] * 5 + [[], []]},
        {"name": "Weekends", "week": [[], [], [], [], [], [[540, 1020]], [[540, 1020]]]},
    ),
    (
        "/api/v1/sla/policies",
        {"name": "Gold", "targets": {"P1": {"response": 60, "resolution": 600, "calendar": "24x7"}}},
        {"name": "Silver", "targets": {"P1": {"response": 120, "resolution": 900, "calendar": "24x7"}}},
    ),
]


@pytest.mark.parametrize(("path", "body", "other"), CREATES, ids=[c[0].rsplit("/", 1)[1] for c in CREATES])
def test_a_create_has_a_location_and_is_idempotent(
    api_client: TestClient, path: str, body: dict, other: dict
) -> None:  # type: ignore[type-arg]
    key = {"Idempotency-Key": f"create-{path}"}
    first = api_client.post(path, json=body, headers=key)
    assert first.status_code == 201, first.text
    location = first.headers["Location"]
    followed = api_client.get(location)
    assert followed.status_code == 200 and as_stored(followed.json()) == as_stored(first.json())

    again = api_client.post(path, json=body, headers=key)
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true" and again.headers["Location"] == location

    reused = api_client.post(path, json=other, headers=key)
    assert reused.status_code == 409 and reused.headers["content-type"] == "application/problem+json"

    without = api_client.post(path, json=body)  # no key: a second create of the same thing
    assert without.status_code in (201, 409)
