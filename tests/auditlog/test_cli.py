"""`vigil audit ...` on committed databases: verify's exit codes and messages, list with filters and --json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.auditlog.conftest import chain_ids, execute, seeded
from tests.dbutil import BACKENDS
from vigil.auditlog import cli

runner = CliRunner()


@pytest.mark.parametrize("backend", BACKENDS)
def test_cli_verify_exit_codes(backend: str, tmp_path: Path) -> None:
    with seeded(backend, tmp_path) as (url, db):
        result = runner.invoke(cli.app, ["verify", "--database-url", url])
        assert result.exit_code == 0 and result.stdout.strip() == "audit chain intact: 5 records"
        ids = chain_ids(db)
        execute(db, "UPDATE audit_record SET action = 'incident.cancel' WHERE seq = 3")
        result = runner.invoke(cli.app, ["verify", "--database-url", url])
        assert result.exit_code == 1 and result.stdout == ""
        assert result.stderr.strip() == (
            f"audit chain broken: changed at seq 3: record id {ids[3]} (seq 3) was altered"
        )
        result = runner.invoke(cli.app, ["verify", "--json", "--database-url", url])
        assert result.exit_code == 1 and '"record_id": ' + str(ids[3]) in result.stdout


@pytest.mark.parametrize("backend", BACKENDS)
def test_list(backend: str, tmp_path: Path) -> None:
    with seeded(backend, tmp_path, incidents=3) as (url, _):
        db = ["--database-url", url]
        result = runner.invoke(cli.app, ["list", "--action", "incident.", "--limit", "2", "--json", *db])
        assert result.exit_code == 0, result.output
        page = json.loads(result.stdout)
        assert [i["seq"] for i in page["items"]] == [4, 3] and page["next_cursor"]
        result = runner.invoke(cli.app, ["list", "--cursor", page["next_cursor"], "--json", *db])
        assert [i["action"] for i in json.loads(result.stdout)["items"]] == ["incident.create", "user.create"]
        object_id = page["items"][0]["object_id"]
        result = runner.invoke(
            cli.app,
            ["list", "--object-type", "incident", "--object-id", object_id, "--actor", "audrey", *db],
            env={"COLUMNS": "250"},
        )
        assert result.exit_code == 0 and "incident.create" in result.stdout and object_id in result.stdout
        assert "user.create" not in result.stdout and "Audrey Admin" in result.stdout
        result = runner.invoke(cli.app, ["list", "--channel", "fax", *db])
        assert result.exit_code == 1 and "channel" in result.stderr
