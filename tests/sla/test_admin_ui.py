"""The SLA admin pages: they render (list, calendar with its week preview, policy), a bad form comes
back with the error beside its field, and saving works and is what the API then shows."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.conftest import Clock
from tests.factories.auth import WebClient, login_as, make_user
from vigil.app import create_app
from vigil.auth.roles import Role
from vigil.core.actor import Actor
from vigil.core.db import Database


def _hours(**days: str) -> dict[str, str]:
    form = {f"hours_{i}": "09:00-17:00" for i in range(5)}
    return form | days


def test_the_overview_lists_calendars_and_policies(web_client: WebClient) -> None:
    page = web_client.get("/admin/sla")
    assert page.status_code == 200
    for text in (
        "24x7",
        "Business hours",
        "Action plan",
        "Operational severity",
        "15m / 4h",
        'href="/admin/sla"',
    ):
        assert text in page.text, text
    assert 'href="/admin/sla/calendars/Business%20hours"' in page.text


def test_a_calendar_page_shows_the_form_and_the_week(web_client: WebClient, frozen_clock: Clock) -> None:
    page = web_client.get("/admin/sla/calendars/Business hours", params={"week": "2026-10-28"})
    assert page.status_code == 200
    assert 'value="09:00-18:00"' in page.text and "Week of 2026-10-26" in page.text
    assert page.text.count('class="h on"') == 5 * 9  # Monday to Friday, nine hours each
    assert "45 working hours" in page.text
    for odd in ("9999-12-31", "not-a-date"):  # shows this week instead
        assert web_client.get("/admin/sla/calendars/24x7", params={"week": odd}).status_code == 200


def test_creating_a_calendar_through_the_form(web_client: WebClient, api_client: TestClient) -> None:
    form = {"name": "London office", "timezone": "Europe/London", "country": "GB", "subdivision": "ENG"}
    form |= _hours(hours_4="09:00-12:00, 13:00-16:00") | {"half_days": "2026-12-24 09:00-13:00"}
    r = web_client.post("/admin/sla/calendars", data=form, follow_redirects=False)
    assert (
        r.status_code == 303
        and r.headers["location"] == "/admin/sla/calendars/London%20office?notice=calendar_saved"
    )
    cal = api_client.get("/api/v1/sla/calendars/London office").json()
    assert cal["week"][4] == [[540, 720], [780, 960]] and cal["week"][5] == []
    assert cal["half_days"] == {"2026-12-24": [[540, 780]]} and cal["country"] == "GB"
    page = web_client.get(r.headers["location"])
    assert "Calendar saved" in page.text and "Europe/London" in page.text


def test_a_bad_calendar_form_shows_the_error_beside_its_field(web_client: WebClient) -> None:
    form = {"timezone": "UTC", "version": "1"} | _hours(hours_2="12:00-10:00")
    r = web_client.post("/admin/sla/calendars/Business hours", data=form)
    assert r.status_code == 422
    assert 'id="hours_2" name="hours_2" aria-invalid="true" aria-describedby="hours_2-error"' in r.text
    assert 'id="hours_2-error"' in r.text and "12:00-10:00" in r.text  # the posted value is kept
    r = web_client.post("/admin/sla/calendars/Business hours", data={**form, "hours_2": "9 to 5"})
    assert r.status_code == 422 and 'id="hours_2-error"' in r.text
    r = web_client.post(
        "/admin/sla/calendars/Business hours", data={**form, "hours_2": "", "timezone": "Moon/Base"}
    )
    assert r.status_code == 422 and 'id="timezone-error"' in r.text
    r = web_client.post("/admin/sla/calendars/Business hours", data={"timezone": "UTC"})
    assert r.status_code == 422 and 'id="week-error"' in r.text  # no working time at all


def test_deleting_a_builtin_calendar_is_refused_on_the_page(web_client: WebClient) -> None:
    r = web_client.post("/admin/sla/calendars/24x7/delete")
    assert r.status_code == 409 and "built in" in r.text


def test_editing_a_policy_through_the_form(web_client: WebClient, api_client: TestClient) -> None:
    page = web_client.get("/admin/sla/policies/Action plan")
    assert (
        page.status_code == 200
        and 'value="15m"' in page.text
        and "<option selected>24x7</option>" in page.text
    )
    form = {
        "position": "3",
        "version": "1",
        "P1_response": "10m",
        "P1_resolution": "2h",
        "P1_calendar": "Business hours",
    }
    r = web_client.post("/admin/sla/policies/Operational severity", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    pol = api_client.get("/api/v1/sla/policies/Operational severity").json()
    assert pol["position"] == 3 and pol["active"] is False
    assert pol["targets"] == {"P1": {"response": 600, "resolution": 7200, "calendar": "Business hours"}}


def test_a_bad_policy_form_shows_the_error_beside_its_field(web_client: WebClient) -> None:
    form = {"P1_response": "0", "P1_resolution": "4h", "P1_calendar": "24x7", "active": "yes"}
    r = web_client.post("/admin/sla/policies/Action plan", data=form)
    assert r.status_code == 422 and 'id="P1_response-error"' in r.text
    r = web_client.post("/admin/sla/policies/Action plan", data={**form, "P1_response": "soon"})
    assert r.status_code == 422 and 'id="P1_response-error"' in r.text
    r = web_client.post("/admin/sla/policies", data={"name": "Gold", "active": "yes"})
    assert r.status_code == 422 and 'id="targets-error"' in r.text
    r = web_client.post(
        "/admin/sla/policies", data={**form, "name": "Gold", "P1_response": "5m", "P1_calendar": "Mars"}
    )
    assert r.status_code == 422 and 'id="P1_calendar-error"' in r.text


def test_creating_and_deleting_a_policy(web_client: WebClient) -> None:
    form = {
        "name": "Gold",
        "position": "1",
        "active": "yes",
        "P1_response": "5m",
        "P1_resolution": "1h",
        "P1_calendar": "24x7",
    }
    r = web_client.post("/admin/sla/policies", data=form, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/admin/sla/policies/Gold")
    assert "Gold" in web_client.get("/admin/sla").text
    r = web_client.post("/admin/sla/policies/Gold/delete", follow_redirects=False)
    assert r.status_code == 303 and web_client.get("/admin/sla/policies/Gold").status_code == 404


def test_an_agent_sees_the_pages_without_forms(db: Database, session: Session, admin: Actor) -> None:
    agent = make_user(session, admin, Role.AGENT)
    with WebClient(create_app(db)) as client:
        login_as(client, session, agent.id)
        page = client.get("/admin/sla/calendars/24x7")
        assert (
            page.status_code == 200
            and "Save calendar" not in page.text
            and 'class="plain-set" disabled' in page.text
        )
        assert client.post("/admin/sla/policies/Action plan", data={"active": "yes"}).status_code == 403
        assert client.get("/admin/sla/calendars/new").status_code == 403


def test_a_policys_conditions_are_edited_on_its_page(web_client: WebClient, api_client: TestClient) -> None:
    team = api_client.post("/api/v1/teams", json={"name": "Payments"}).json()
    form = {
        "active": "yes",
        "position": "2",
        "P1_response": "5m",
        "P1_resolution": "1h",
        "P1_calendar": "24x7",
        "cond_priority": "P1, P2",
        "cond_category": "",
        "cond_ci": "",
        "cond_team": "Payments",
        "conditions_form": "1",
    }
    r = web_client.post("/admin/sla/policies/Operational severity", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    pol = api_client.get("/api/v1/sla/policies/Operational severity").json()
    assert pol["conditions"] == {"priority": ["P1", "P2"], "team": [team["id"]]}
    page = web_client.get("/admin/sla/policies/Operational severity").text
    assert 'value="P1, P2"' in page and 'value="Payments"' in page  # names, not ids
    r = web_client.post("/admin/sla/policies/Operational severity", data={**form, "cond_team": "Nobody"})
    assert r.status_code == 422 and 'id="cond_team-error"' in r.text and "unknown team" in r.text
    r = web_client.post("/admin/sla/policies/Operational severity", data={**form, "cond_priority": "urgent"})
    assert r.status_code == 422 and 'id="cond_priority-error"' in r.text
    # Blank fields clear the conditions again.
    blank = {**form, "cond_priority": "", "cond_team": ""}
    r = web_client.post("/admin/sla/policies/Operational severity", data=blank, follow_redirects=False)
    assert r.status_code == 303
    assert api_client.get("/api/v1/sla/policies/Operational severity").json()["conditions"] == {}
