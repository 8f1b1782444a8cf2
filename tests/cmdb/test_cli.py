"""`vigil cmdb ...` on a local database: register, relate, analyse, change and retire CIs; --json for
scripts; a bad value exits 1 naming the flag; retiring with open work asks for --confirm."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.dbutil import BACKENDS, fresh_database
from vigil.cli import app

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


def test_a_small_cmdb_by_hand(db: list[str]) -> None:
    assert run("cmdb", "create", "san-1", "--class", "storage", "--criticality", "2", *db)[0] == 0
    assert run("cmdb", "create", "vm-7", "--class", "virtual_machine", *db)[0] == 0
    assert run("cmdb", "create", "Mail", "--criticality", "1", "--tag", "email", *db)[0] == 0
    code, out = run("cmdb", "relate", "vm-7", "hosted_on", "san-1", *db)
    assert code == 0 and "vm-7 is hosted on san-1" in out, out
    assert run("cmdb", "relate", "Mail", "depends_on", "vm-7", *db)[0] == 0
    code, out = run("cmdb", "impact", "san-1", *db)
    assert code == 0 and "san-1 reaches 2 CIs within 10 steps, 1 of them services" in out, out
    assert "hosts vm-7 → is depended on by Mail" in out
    code, out = run("cmdb", "impact", "san-1", "--services", "--json", *db)
    assert [i["ci"]["name"] for i in json.loads(out)["items"]] == ["Mail"]
    code, out = run("cmdb", "list", "--class", "storage", *db)
    assert code == 0 and "san-1" in out and "vm-7" not in out
    code, out = run("cmdb", "show", "Mail", *db)
    assert code == 0 and "depends on" in out and "vm-7" in out and "tags: email" in out


def test_retiring_with_open_work_and_bad_values(db: list[str]) -> None:
    assert run("cmdb", "create", "old-db", "--class", "database", *db)[0] == 0
    code, out = run("incident", "create", "--title", "old-db is slow", "--ci", "old-db", "--json", *db)
    assert code == 0, out
    number = json.loads(out)["number"]
    code, out = run("cmdb", "update", "old-db", "--status", "retired", *db)
    assert code == 1 and number in out and "confirm" in out, out
    code, out = run("cmdb", "update", "old-db", "--status", "retired", "--confirm", "--json", *db)
    assert code == 0 and json.loads(out)["status"] == "retired", out
    code, out = run("cmdb", "create", "x", "--criticality", "9", *db)
    assert code == 1 and "--criticality" in out, out
    code, out = run("cmdb", "create", "x", "--attr", "novalue", *db)
    assert code == 1 and "KEY=VALUE" in out, out
    code, out = run("cmdb", "class", "create", "rack", "--label", "Rack", "--schema", "{not json", *db)
    assert code == 1 and "--schema is not JSON" in out, out
    code, out = run("cmdb", "show", "nothing-here", *db)
    assert code == 1 and "not found" in out, out
    code, out = run("cmdb", "history", "old-db", "--json", *db)
    assert [e["action"] for e in json.loads(out)["items"]] == ["ci.create", "ci.update"]
