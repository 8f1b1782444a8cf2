"""SLA calendars and policies over the API: CRUD, every refused input named by its field, who may
write, what cannot be deleted, optimistic concurrency, the audit trail and the week preview."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories.auth import api_token, make_user
from vigil.auth.roles import Role
from vigil.core.actor import Actor
from vigil.core.audit import AuditRecord

CAL = "/api/v1/sla/calendars"
POL = "/api/v1/sla/policies"
NINE_TO_FIVE = [[[540, 1020]]] * 5 + [[], []]


def calendar(**over: Any) -> dict[str, Any]:
    return {"name": "London office", "timezone": "Europe/London", "week": NINE_TO_FIVE, **over}


def policy(**over: Any) -> dict[str, Any]:
    target = {"response": 900, "resolution": 14400, "calendar": "24x7"}
    return {"name": "Gold", "position": 5, "targets": {"P1": target}, **over}


def field_of(r: Any) -> str:
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    return str(r.json()["errors"][0]["field"])


@pytest.fixture
def agent_client(api_client: TestClient, session: Session, admin: Actor) -> TestClient:
    user = make_user(session, admin, Role.AGENT)
    client = TestClient(api_client.app)
    client.headers["Authorization"] = f"Bearer {api_token(session, user.id, 'write')}"
    return client


def test_the_presets_are_listed(api_client: TestClient) -> None:
    cals = api_client.get(CAL).json()
    assert {c["name"] for c in cals["items"]} >= {"24x7", "Business hours"}
    assert all(c["builtin"] for c in cals["items"] if c["name"] in ("24x7", "Business hours"))
    pols = api_client.get(POL).json()["items"]
    assert [p["name"] for p in pols][:2] == ["Action plan", "Operational severity"]
    assert pols[0]["targets"]["P3"]["calendar"] == "Business hours"


def test_calendar_crud(api_client: TestClient, session: Session) -> None:
    made = api_client.post(CAL, json=calendar(country="gb", subdivision="ENG", extra_holidays=["2026-12-24"]))
    assert made.status_code == 201, made.text
    assert made.headers["Location"] == "/api/v1/sla/calendars/London%20office"
    body = made.json()
    assert body["country"] == "GB" and body["extra_holidays"] == ["2026-12-24"] and body["version"] == 1
    got = api_client.get(made.headers["Location"])
    assert got.json() == body and got.headers["ETag"] == '"1"'
    changed = api_client.patch(
        f"{CAL}/London office", json={"half_days": {"2026-12-31": [[540, 780]]}}, headers={"If-Match": '"1"'}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["half_days"] == {"2026-12-31": [[540, 780]]} and changed.headers["ETag"] == '"2"'
    stale = api_client.patch(f"{CAL}/London office", json={"timezone": "UTC"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    assert api_client.delete(f"{CAL}/London office").status_code == 204
    assert api_client.get(f"{CAL}/London office").status_code == 404
    actions = list(
        session.scalars(
            select(AuditRecord.action)
            .where(AuditRecord.object_type == "sla_calendar")
            .order_by(AuditRecord.id)
        )
    )
    assert actions == ["sla.calendar.create", "sla.calendar.update", "sla.calendar.delete"]


def test_a_duplicate_calendar_is_409(api_client: TestClient) -> None:
    assert api_client.post(CAL, json=calendar()).status_code == 201
    assert api_client.post(CAL, json=calendar()).status_code == 409


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"week": [[[600, 540]]] + [[]] * 6}, "week.0.0"),  # inverted
        ({"week": [[[540, 720], [700, 1000]]] + [[]] * 6}, "week.0"),  # overlapping
        ({"week": [[[540, 1500]]] + [[]] * 6}, "week.0.0"),  # past 24:00
        ({"week": [[]] * 7}, "week"),  # no working time at all
        ({"week": [[]] * 6}, "week"),  # six days
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"country": "XX"}, "country"),
        ({"country": "DE", "subdivision": "ZZ"}, "subdivision"),
        ({"subdivision": "BY"}, "subdivision"),  # no country
        ({"half_days": {"2026-12-24": [[800, 700]]}}, "half_days.2026-12-24.0"),
        ({"extra_holidays": ["24.12.2026"]}, "extra_holidays.0"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_bad_calendar_is_422_naming_the_field(api_client: TestClient, change: dict, field: str) -> None:  # type: ignore[type-arg]
    assert field_of(api_client.post(CAL, json=calendar(**change))) == field
    assert api_client.get(f"{CAL}/London office").status_code == 404
    if "colour" not in change and "name" not in change:
        assert field_of(api_client.patch(f"{CAL}/24x7", json=change)) == field


def test_builtin_and_used_calendars_cannot_be_deleted(api_client: TestClient) -> None:
    r = api_client.delete(f"{CAL}/24x7")
    assert r.status_code == 409 and "built in" in r.json()["detail"]
    api_client.post(CAL, json=calendar())
    api_client.post(
        POL, json=policy(targets={"P2": {"response": 60, "resolution": 120, "calendar": "London office"}})
    )
    r = api_client.delete(f"{CAL}/London office")
    assert r.status_code == 409 and "'Gold'" in r.json()["detail"], r.text
    assert api_client.delete(f"{POL}/Gold").status_code == 204
    assert api_client.delete(f"{CAL}/London office").status_code == 204


def test_builtin_calendars_may_be_edited(api_client: TestClient) -> None:
    r = api_client.patch(f"{CAL}/Business hours", json={"timezone": "Europe/Berlin", "country": "DE"})
    assert r.status_code == 200 and r.json()["timezone"] == "Europe/Berlin" and r.json()["builtin"]


def test_policy_crud(api_client: TestClient, session: Session) -> None:
    made = api_client.post(POL, json=policy(conditions={"priority": ["P1"], "category": ["Database"]}))
    assert made.status_code == 201, made.text
    assert made.headers["Location"] == "/api/v1/sla/policies/Gold"
    assert made.json()["conditions"] == {"priority": ["P1"], "category": ["Database"]}
    changed = api_client.patch(f"{POL}/Gold", json={"active": False, "position": 1, "version": 1})
    assert changed.status_code == 200 and changed.json()["active"] is False and changed.json()["version"] == 2
    assert api_client.patch(f"{POL}/Gold", json={"position": 2, "version": 1}).status_code == 412
    assert [p["name"] for p in api_client.get(POL).json()["items"]][0] == "Gold"
    assert api_client.delete(f"{POL}/Gold", headers={"If-Match": '"1"'}).status_code == 412
    assert api_client.delete(f"{POL}/Gold").status_code == 204
    actions = list(
        session.scalars(
            select(AuditRecord.action).where(AuditRecord.object_type == "sla_policy").order_by(AuditRecord.id)
        )
    )
    assert actions == ["sla.policy.create", "sla.policy.update", "sla.policy.delete"]


def test_builtin_policies_may_be_changed_but_not_deleted(api_client: TestClient) -> None:
    r = api_client.patch(
        f"{POL}/Operational severity",
        json={
            "active": True,
            "position": 5,
            "targets": {"P1": {"response": 60, "resolution": 600, "calendar": "24x7"}},
        },
    )
    assert (
        r.status_code == 200
        and r.json()["active"]
        and r.json()["targets"] == {"P1": {"response": 60, "resolution": 600, "calendar": "24x7"}}
    )
    r = api_client.delete(f"{POL}/Action plan")
    assert r.status_code == 409 and "built in" in r.json()["detail"]


def _with_target(**target: Any) -> dict[str, Any]:
    return {"P1": {"response": 900, "resolution": 14400, "calendar": "24x7", **target}}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "Gold/Silver"}, "name"),
        ({"targets": {}}, "targets"),
        ({"targets": _with_target(response=0)}, "targets.P1.response"),
        ({"targets": _with_target(resolution=-5)}, "targets.P1.resolution"),
        ({"targets": _with_target(response="soon")}, "targets.P1.response"),
        ({"targets": _with_target(calendar="Mars time")}, "targets.P1.calendar"),
        ({"targets": {"P5": {"response": 1, "resolution": 2, "calendar": "24x7"}}}, "targets.P5"),
        ({"targets": {"P1": {"response": 1, "calendar": "24x7"}}}, "targets.P1.resolution"),
        ({"conditions": {"colour": ["red"]}}, "conditions.colour"),
        ({"conditions": {"priority": ["P9"]}}, "conditions.priority"),
        ({"conditions": {"ci": ["no such ci"]}}, "conditions.ci"),
        ({"conditions": {"team": ["no such team"]}}, "conditions.team"),
    ],
)
def test_a_bad_policy_is_422_naming_the_field(api_client: TestClient, change: dict, field: str) -> None:  # type: ignore[type-arg]
    assert field_of(api_client.post(POL, json=policy(**change))) == field
    if "name" not in change:
        assert field_of(api_client.patch(f"{POL}/Action plan", json=change)) == field


def test_an_agent_reads_but_does_not_write(agent_client: TestClient) -> None:
    assert agent_client.get(CAL).status_code == 200
    assert agent_client.get(f"{POL}/Action plan").status_code == 200
    assert agent_client.get(f"{CAL}/24x7/week").status_code == 200
    for method, url, body in (
        ("POST", CAL, calendar()),
        ("PATCH", f"{CAL}/24x7", {"timezone": "UTC"}),
        ("DELETE", f"{CAL}/24x7", None),
        ("POST", POL, policy()),
        ("PATCH", f"{POL}/Action plan", {"active": False}),
        ("DELETE", f"{POL}/Action plan", None),
    ):
        r = agent_client.request(method, url, json=body)
        assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json", (method, url)


def test_a_requester_cannot_read_them(api_client: TestClient, session: Session, admin: Actor) -> None:
    user = make_user(session, admin, Role.REQUESTER)
    client = TestClient(api_client.app)
    client.headers["Authorization"] = f"Bearer {api_token(session, user.id, 'write')}"
    assert client.get(CAL).status_code == 403


def test_week_preview_across_the_end_of_british_summer_time(api_client: TestClient) -> None:
    """Europe/London leaves BST on Sunday 2026-10-25: that week 09:00 is 08:00 UTC, the next 09:00 UTC."""
    api_client.post(CAL, json=calendar())
    before = api_client.get(f"{CAL}/London office/week", params={"start": "2026-10-21"}).json()
    after = api_client.get(f"{CAL}/London office/week", params={"start": "2026-10-26"}).json()
    assert before["start"] == "2026-10-19" and after["start"] == "2026-10-26"
    monday_before, monday_after = before["days"][0]["spans"][0], after["days"][0]["spans"][0]
    assert monday_before["start"].startswith("2026-10-19T09:00:00+01:00")
    assert monday_before["start_utc"].startswith("2026-10-19T08:00:00")
    assert monday_after["start"].startswith("2026-10-26T09:00:00Z") or monday_after["start"].startswith(
        "2026-10-26T09:00:00+00:00"
    )
    assert monday_after["start_utc"].startswith("2026-10-26T09:00:00")
    assert after["days"][5]["spans"] == [] and after["seconds"] == 5 * 8 * 3600
    assert [d["weekday"] for d in after["days"]][:2] == ["Monday", "Tuesday"]


def test_week_preview_over_a_24x7_dst_night(api_client: TestClient) -> None:
    """Around the clock in London: Sunday 2026-10-25 has 25 hours."""
    api_client.post(CAL, json=calendar(name="London 24x7", week=[[[0, 1440]]] * 7))
    week = api_client.get(f"{CAL}/London 24x7/week", params={"start": "2026-10-25"}).json()
    assert week["start"] == "2026-10-19"
    assert week["days"][6]["seconds"] == 25 * 3600 and week["days"][0]["seconds"] == 24 * 3600


def test_week_preview_shows_holidays(api_client: TestClient) -> None:
    api_client.post(
        CAL, json=calendar(country="GB", subdivision="ENG", half_days={"2026-12-24": [[540, 780]]})
    )
    week = api_client.get(f"{CAL}/London office/week", params={"start": "2026-12-21"}).json()
    thursday, friday = week["days"][3], week["days"][4]
    assert thursday["seconds"] == 4 * 3600 and not thursday["holiday"]
    assert friday["holiday"] and friday["spans"] == []  # Christmas Day
    assert api_client.get(f"{CAL}/Nowhere/week").status_code == 404
    for bad in ("soon", "0001-01-01", "9999-12-31"):
        assert field_of(api_client.get(f"{CAL}/London office/week", params={"start": bad})) == "start"


def test_ci_and_team_conditions_are_given_by_name_and_stored_as_ids(api_client: TestClient) -> None:
    ci = api_client.post("/api/v1/cis", json={"name": "payments-db"}).json()
    team = api_client.post("/api/v1/teams", json={"name": "Payments"}).json()
    made = api_client.post(
        POL, json=policy(conditions={"ci": ["payments-db", ci["id"]], "team": ["Payments"]})
    )
    assert made.status_code == 201, made.text
    assert made.json()["conditions"] == {"ci": [ci["id"]], "team": [team["id"]]}
    # An incident on that CI is matched by it (an id compared with ids, never a name in a UUID parse).
    inc = api_client.post(
        "/api/v1/incidents",
        json={"title": "payments slow", "impact": "high", "urgency": "high", "affected_cis": ["payments-db"]},
    )
    assert inc.status_code == 201, inc.text
