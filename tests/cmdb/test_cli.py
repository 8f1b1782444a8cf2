"""`vigil cmdb ...` on a local database: register, relate, analyse, change and retire CIs; --json for
scripts; a bad value exits 1 naming the flag; retiring with open work asks for --confirm."""

from __future__ import annotations

import json

from tests.clihelp import run


def test_a_small_cmdb_by_hand(cli_db: list[str]) -> None:
    assert run("cmdb", "create", "san-1", "--class", "storage", "--criticality", "2", *cli_db)[0] == 0
    assert run("cmdb", "create", "vm-7", "--class", "virtual_machine", *cli_db)[0] == 0
    assert run("cmdb", "create", "Mail", "--criticality", "1", "--tag", "email", *cli_db)[0] == 0
    code, out = run("cmdb", "relate", "vm-7", "hosted_on", "san-1", *cli_db)
    assert code == 0 and "vm-7 is hosted on san-1" in out, out
    assert run("cmdb", "relate", "Mail", "depends_on", "vm-7", *cli_db)[0] == 0
    code, out = run("cmdb", "impact", "san-1", *cli_db)
    assert code == 0 and "san-1 reaches 2 CIs within 10 steps, 1 of them services" in out, out
    assert "hosts vm-7 → is depended on by Mail" in out
    code, out = run("cmdb", "impact", "san-1", "--services", "--json", *cli_db)
    assert [i["ci"]["name"] for i in json.loads(out)["items"]] == ["Mail"]
    code, out = run("cmdb", "list", "--class", "storage", *cli_db)
    assert code == 0 and "san-1" in out and "vm-7" not in out
    code, out = run("cmdb", "show", "Mail", *cli_db)
    assert code == 0 and "depends on" in out and "vm-7" in out and "tags: email" in out


def test_retiring_with_open_work_and_bad_values(cli_db: list[str]) -> None:
    assert run("cmdb", "create", "old-db", "--class", "database", *cli_db)[0] == 0
    code, out = run("incident", "create", "--title", "old-db is slow", "--ci", "old-db", "--json", *cli_db)
    assert code == 0, out
    number = json.loads(out)["number"]
    code, out = run("cmdb", "update", "old-db", "--status", "retired", *cli_db)
    assert code == 1 and number in out and "confirm" in out, out
    code, out = run("cmdb", "update", "old-db", "--status", "retired", "--confirm", "--json", *cli_db)
    assert code == 0 and json.loads(out)["status"] == "retired", out
    code, out = run("cmdb", "create", "x", "--criticality", "9", *cli_db)
    assert code == 1 and "--criticality" in out, out
    code, out = run("cmdb", "create", "x", "--attr", "novalue", *cli_db)
    assert code == 1 and "KEY=VALUE" in out, out
    code, out = run("cmdb", "class", "create", "rack", "--label", "Rack", "--schema", "{not json", *cli_db)
    assert code == 1 and "--schema is not JSON" in out, out
    code, out = run("cmdb", "show", "nothing-here", *cli_db)
    assert code == 1 and "not found" in out, out
    code, out = run("cmdb", "history", "old-db", "--json", *cli_db)
    assert [e["action"] for e in json.loads(out)["items"]] == ["ci.create", "ci.update"]
