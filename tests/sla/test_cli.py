"""`vigil sla ...`: list and show calendars and policies, create a calendar from typed hours, change a
policy's targets; --json for scripts; a bad value exits 1 naming the flag, a non-administrator is refused."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from tests.clihelp import run
from vigil.core.db import Database
from vigil.sla.models import SlaCalendar


def test_listing_and_showing(cli_db: list[str]) -> None:
    code, out = run("sla", "calendars", *cli_db)
    assert code == 0 and "24x7" in out and "Business hours" in out and "09:00-18:00" in out
    code, out = run("sla", "calendars", "--json", *cli_db)
    assert {c["name"] for c in json.loads(out)["items"]} == {"24x7", "Business hours"}
    code, out = run("sla", "policies", *cli_db)
    assert code == 0 and "Action plan" in out and "15m/4h@24x7" in out
    code, out = run("sla", "policy", "show", "Action plan", "--json", *cli_db)
    assert code == 0 and json.loads(out)["targets"]["P3"]["resolution"] == 5 * 9 * 3600
    code, out = run("sla", "calendar", "show", "Business hours", "--week", "2026-10-28", *cli_db)
    assert code == 0 and "mon: 09:00-18:00" in out and "2026-10-26" in out and "sat: -" in out
    code, out = run("sla", "calendar", "show", "Nowhere", *cli_db)
    assert code == 1 and "not found" in out


def test_creating_a_calendar(cli_db: list[str]) -> None:
    code, out = run(
        "sla", "calendar", "create", "Berlin office", "--timezone", "Europe/Berlin",
        "--hours", "mon-thu 08:00-12:00, 13:00-17:00", "--hours", "fri 08:00-14:00",
        "--country", "DE", "--subdivision", "BY", "--holiday", "2026-12-24",
        "--half-day", "2026-12-31=08:00-12:00", "--json", *cli_db,
    )  # fmt: skip
    assert code == 0, out
    made = json.loads(out)
    assert made["week"][0] == [[480, 720], [780, 1020]] and made["week"][4] == [[480, 840]]
    assert made["week"][5] == [] and made["extra_holidays"] == ["2026-12-24"]
    assert made["half_days"] == {"2026-12-31": [[480, 720]]} and made["subdivision"] == "BY"
    code, out = run("sla", "calendar", "show", "Berlin office", "--week", "2026-10-21", "--json", *cli_db)
    week = json.loads(out)["week_preview"]
    assert week["days"][0]["spans"][0]["start_utc"] == "2026-10-19T06:00:00Z"  # CEST, UTC+2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--timezone", "Mars/Base", "--hours", "mon-fri 09:00-17:00"], "--timezone"),
        (["--timezone", "UTC", "--hours", "mon-fri 17:00-09:00"], "--hours: mon: "),
        (["--timezone", "UTC", "--hours", "someday 09:00-17:00"], "--hours"),
        (["--timezone", "UTC", "--hours", "mon-fri 9 to 5"], "--hours"),
        (["--timezone", "UTC", "--hours", "mon 09:00-17:00", "--country", "XX"], "--country"),
        (["--timezone", "UTC", "--hours", "mon 09:00-17:00", "--half-day", "2026-12-24"], "--half-day"),
    ],
)
def test_a_bad_calendar_exits_1_naming_the_flag(cli_db: list[str], args: list[str], message: str) -> None:
    code, out = run("sla", "calendar", "create", "Bad", *args, *cli_db)
    assert code == 1 and message in out, out


def test_setting_a_policy(cli_db: list[str]) -> None:
    code, out = run(
        "sla", "policy", "set", "Operational severity", "--active", "--position", "5",
        "--target", "P1=10m/2h@Business hours", "--json", *cli_db,
    )  # fmt: skip
    assert code == 0, out
    changed = json.loads(out)
    assert changed["active"] and changed["position"] == 5 and changed["version"] == 2
    assert changed["targets"]["P1"] == {"response": 600, "resolution": 7200, "calendar": "Business hours"}
    assert changed["targets"]["P4"]["calendar"] == "24x7"  # the other priorities are kept
    code, out = run("sla", "policy", "set", "Operational severity", "--inactive", *cli_db)
    assert code == 0 and "inactive" in out
    code, out = run("sla", "policy", "set", "Action plan", "--target", "P1=0m/2h@24x7", *cli_db)
    assert code == 1 and "--target P1.response: Input should be greater than 0" in out
    code, out = run("sla", "policy", "set", "Action plan", "--target", "P1=10m/2h@Mars", *cli_db)
    assert code == 1 and "Mars" in out
    code, out = run("sla", "policy", "set", "Action plan", "--target", "P9=1m/2h@24x7", "--json", *cli_db)
    assert code == 1 and json.loads(out)["error"]["errors"][0]["field"] == "targets.P9"


def test_an_agent_may_read_but_not_change(cli_db: list[str]) -> None:
    run("user", "create", "--email", "agent@example.com", "--role", "agent", "--no-password", *cli_db)
    code, out = run("--as", "agent@example.com", "sla", "policies", *cli_db)
    assert code == 0 and "Action plan" in out
    code, out = run("--as", "agent@example.com", "sla", "policy", "set", "Action plan", "--inactive", *cli_db)
    assert code == 1 and "only administrators" in out


def test_recompute_repairs_after_a_calendar_fix(cli_db: list[str]) -> None:
    """A P2 incident on business hours; the calendar is then fixed to run around the clock: recompute
    moves its due times and reports them, a second run changes nothing, a bad date names its flag."""
    code, out = run(
        "incident",
        "create",
        "--title",
        "Mail is slow",
        "--impact",
        "high",
        "--urgency",
        "medium",
        "--json",
        *cli_db,
    )
    assert code == 0, out
    with Database(
        cli_db[1]
    ).unit_of_work() as s:  # the fix, straight in the table (the API refuses nothing here)
        calendar = s.scalars(select(SlaCalendar).where(SlaCalendar.name == "Business hours")).one()
        calendar.week = [[[0, 1440]] for _ in range(7)]
    code, out = run("sla", "recompute", "--json", *cli_db)
    assert code == 0, out
    report = json.loads(out)
    assert report["looked_at"] == 2 and report["changed"], report
    assert {c["metric"] for c in report["changed"]} <= {"response", "resolution"}
    code, out = run("sla", "recompute", *cli_db)
    assert code == 0 and "2 clocks looked at, 0 changed." in out
    code, out = run("sla", "recompute", "--since", "not-a-date", *cli_db)
    assert code == 1 and "--since" in out
