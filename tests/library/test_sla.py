"""`v.sla`: SLA calendars and policies through the library, in-process and over HTTP alike: read by staff,
changed by administrators, refusals as the API's problems, and `vigil sla ...` on a server."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

import vigil
from tests.library.conftest import Connector, mint_token, unique
from tests.procs import Server
from vigil.cli import app

NINE_TO_FIVE = [[[540, 1020]]] * 5 + [[], []]


def test_calendars_and_policies_read_and_changed(connect: Connector) -> None:
    v = connect()
    assert {"24x7", "Business hours"} <= {c.name for c in v.sla.calendars()}
    name = unique("Office")
    made = v.sla.create_calendar(name=name, timezone="Europe/Berlin", week=NINE_TO_FIVE, country="DE")
    assert made.name == name and made.timezone == "Europe/Berlin" and v.sla.calendar(name).country == "DE"
    week = v.sla.week(name, date(2026, 12, 21))  # Christmas week in Germany
    assert week.start == date(2026, 12, 21) and week.seconds == 4 * 8 * 3600  # Friday the 25th is a holiday
    with pytest.raises(vigil.Duplicate):
        v.sla.create_calendar(name=name, timezone="UTC", week=NINE_TO_FIVE)
    with pytest.raises(vigil.Invalid) as bad:
        v.sla.create_calendar(name=unique("Mars"), timezone="Mars/Olympus", week=NINE_TO_FIVE)
    assert bad.value.errors[0]["field"] == "timezone"

    pname = unique("Gold")
    target = {"response": 600, "resolution": 3600, "calendar": name}
    policy = v.sla.create_policy(
        name=pname, position=50, targets={"P1": target}, conditions={"priority": ["P1"]}
    )
    assert policy.targets["P1"].calendar == name and policy.conditions == {"priority": ["P1"]}
    assert pname in [p.name for p in v.sla.policies()]
    changed = v.sla.update_policy(pname, active=False, version=policy.version)
    assert changed.active is False and changed.version == policy.version + 1
    with pytest.raises(vigil.StaleVersion):
        v.sla.update_policy(pname, position=1, version=policy.version)
    with pytest.raises(vigil.NotFound):
        v.sla.policy(unique("none"))


def test_an_agent_reads_but_may_not_change(connect: Connector) -> None:
    agent = connect(connect.user("agent"))
    assert agent.sla.policy("Action plan").targets["P1"].response == 900
    with pytest.raises(vigil.Forbidden):
        agent.sla.update_policy("Action plan", active=False)


def test_vigil_sla_on_a_server(database: str, server: Server, tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"VIGIL_URL": server.url, "VIGIL_TOKEN": mint_token(database, "admin@vigil.example", "admin"),
           "XDG_CONFIG_HOME": str(tmp_path), "COLUMNS": "200"}  # fmt: skip

    def cli(*args: str) -> tuple[int, str]:
        result = runner.invoke(app, list(args), env=env)
        return result.exit_code, result.output

    code, out = cli("sla", "policies")
    assert code == 0 and "Action plan" in out, out
    name = unique("Remote")
    code, out = cli("sla", "calendar", "create", name, "--timezone", "UTC", "--hours", "mon-fri 08:00-16:00")
    assert code == 0 and f"created SLA calendar {name}" in out, out
    code, out = cli("sla", "calendar", "show", name, "--week", "2026-12-07", "--json")
    assert code == 0 and json.loads(out)["week_preview"]["seconds"] == 5 * 8 * 3600, out
    code, out = cli("sla", "policy", "set", "Operational severity", "--target", f"P4=1h/8h@{name}", "--json")
    assert code == 0, out
    read = json.loads(out)
    assert read["targets"]["P4"] == {"response": 3600, "resolution": 28800, "calendar": name}
    assert read["targets"]["P1"]["response"] == 900  # the other priorities kept
    code, out = cli("sla", "policy", "set", "Operational severity", "--target", "P1=5m/1h@Mars")
    assert code == 1 and "Mars" in out, out
    code, out = cli("sla", "recompute")
    assert code == 1 and "local database only" in out
