"""`vigil sla ...`: list and show calendars and policies, create a calendar from typed hours, change a
policy's targets; --json for scripts; a bad value exits 1 naming the flag, a non-administrator is refused."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tests.dbutil import BACKENDS, fresh_database
from vigil.cli import app
from vigil.core.db import Database
from vigil.sla.models import SlaCalendar

runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.output


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[list[str]]:
    with fresh_database(request.param, tmp_path) as url:
        opts = ["--database-url", url]
        assert run("db", "upgrade", *opts)[0] == 0
        run("user", "create", "--email", "ops@example.com", "--role", "admin", "--no-password", *opts)
        yield opts


def test_listing_and_showing(db: list[str]) -> None:
    code, out = run("sla", "calendars", *db)
    assert code == 0 and "24x7" in out and "Business hours" in out and "09:00-18:00" in out
    code, out = run("sla", "calendars", "--json", *db)
    assert {c["name"] for c in json.loads(out)["items"]} == {"24x7", "Business hours"}
    code, out = run("sla", "policies", *db)
    assert code == 0 and "Action plan" in out and "15m/4h@24x7" in out
    code, out = run("sla", "policy", "show", "Action plan", "--json", *db)
    assert code == 0 and json.loads(out)["targets"]["P3"]["resolution"] == 5 * 9 * 3600
    code, out = run("sla", "calendar", "show", "Business hours", "--week", "2026-10-28", *db)
    assert code == 0 and "mon: 09:00-18:00" in out and "2026-10-26" in out and "sat: -" in out
    code, out = run("sla", "calendar", "show", "Nowhere", *db)
    assert code == 1 and "not found" in out


def test_creating_a_calendar(db: list[str]) -> None:
    code, out = run(
        "sla", "calendar", "create", "Berlin office", "--timezone", "Europe/Berlin",
        "--hours", "mon-thu 08:00-12:00, 13:00-17:00", "--hours", "fri 08:00-14:00",
        "--country", "DE", "--subdivision", "BY", "--holiday", "2026-12-24",
        "--half-day", "2026-12-31=08:00-12:00", "--json", *db,
    )  # fmt: skip
    assert code == 0, out
    made = json.loads(out)
    assert made["week"][0] == [[480, 720], [780, 1020]] and made["week"][4] == [[480, 840]]
    assert made["week"][5] == [] and made["extra_holidays"] == ["2026-12-24"]
    assert made["half_days"] == {"2026-12-31": [[480, 720]]} and made["subdivision"] == "BY"
    code, out = run("sla", "calendar", "show", "Berlin office", "--week", "2026-10-21", "--json", *db)
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
def test_a_bad_calendar_exits_1_naming_the_flag(db: list[str], args: list[str], message: str) -> None:
    code, out = run("sla", "calendar", "create", "Bad", *args, *db)
    assert code == 1 and message in out, out


def test_setting_a_policy(db: list[str]) -> None:
    code, out = run(
        "sla", "policy", "set", "Operational severity", "--active", "--position", "5",
        "--target", "P1=10m/2h@Business hours", "--json", *db,
    )  # fmt: skip
    assert code == 0, out
    changed = json.loads(out)
    assert changed["active"] and changed["position"] == 5 and changed["version"] == 2
    assert changed["targets"]["P1"] == {"response": 600, "resolution": 7200, "calendar": "Business hours"}
    assert changed["targets"]["P4"]["calendar"] == "24x7"  # the other priorities are kept
    code, out = run("sla", "policy", "set", "Operational severity", "--inactive", *db)
    assert code == 0 and "inactive" in out
    code, out = run("sla", "policy", "set", "Action plan", "--target", "P1=0m/2h@24x7", *db)
    assert code == 1 and "--target P1.response: Input should be greater than 0" in out
    code, out = run("sla", "policy", "set", "Action plan", "--target", "P1=10m/2h@Mars", *db)
    assert code == 1 and "Mars" in out
    code, out = run("sla", "policy", "set", "Action plan", "--target", "P9=1m/2h@24x7", "--json", *db)
    assert code == 1 and json.loads(out)["error"]["errors"][0]["field"] == "targets.P9"


def test_an_agent_may_read_but_not_change(db: list[str]) -> None:
    run("user", "create", "--email", "agent@example.com", "--role", "agent", "--no-password", *db)
    code, out = run("--as", "agent@example.com", "sla", "policies", *db)
    assert code == 0 and "Action plan" in out
    code, out = run("--as", "agent@example.com", "sla", "policy", "set", "Action plan", "--inactive", *db)
    assert code == 1 and "only administrators" in out


def test_recompute_repairs_after_a_calendar_fix(db: list[str]) -> None:
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
        *db,
    )
    assert code == 0, out
    with Database(db[1]).unit_of_work() as s:  # the fix, straight in the table (the API refuses nothing here)
        calendar = s.scalars(select(SlaCalendar).where(SlaCalendar.name == "Business hours")).one()
        calendar.week = [[[0, 1440]] for _ in range(7)]
    code, out = run("sla", "recompute", "--json", *db)
    assert code == 0, out
    report = json.loads(out)
    assert report["looked_at"] == 2 and report["changed"], report
    assert {c["metric"] for c in report["changed"]} <= {"response", "resolution"}
    code, out = run("sla", "recompute", *db)
    assert code == 0 and "2 clocks looked at, 0 changed." in out
    code, out = run("sla", "recompute", "--since", "not-a-date", *db)
    assert code == 1 and "--since" in out
