"""`vigil audit ...` on committed databases: verify's exit codes and messages, list with filters and --json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.auditlog.conftest import chain_ids, execute, seeded
from tests.dbutil import BACKENDS
from vigil import cli_commands  # noqa: F401  (gives the commands their acting user)
from vigil.auditlog import cli
from vigil.core import auditkey
from vigil.core.config import get_settings

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


@pytest.mark.parametrize("backend", BACKENDS)
def test_anchor_then_verify_against_it(backend: str, tmp_path: Path) -> None:
    with seeded(backend, tmp_path) as (url, db):
        db_opt = ["--database-url", url]
        result = runner.invoke(cli.app, ["anchor", *db_opt])
        assert result.exit_code == 0, result.output
        printed = json.loads(result.stdout)
        assert (printed["seq"], printed["records"]) == (5, 5) and len(printed["mac"]) == 64
        saved = tmp_path / "anchor.json"
        result = runner.invoke(cli.app, ["anchor", "--output", str(saved), *db_opt])
        assert result.exit_code == 0 and "anchored seq 5 (5 records)" in result.stderr
        result = runner.invoke(cli.app, ["verify", "--anchor", str(saved), *db_opt])
        assert result.exit_code == 0 and result.stdout.strip() == "audit chain intact: 5 records"

        execute(db, "DELETE FROM audit_record WHERE seq > 3")
        execute(
            db,
            "UPDATE audit_chain_head SET last_seq = 3, last_hash = (SELECT hash FROM audit_record WHERE seq = 3)",
        )
        assert runner.invoke(cli.app, ["verify", *db_opt]).exit_code == 0
        result = runner.invoke(cli.app, ["verify", "--anchor", str(saved), *db_opt])
        assert result.exit_code == 1 and "audit chain broken: truncated at seq 5" in result.stderr
        result = runner.invoke(cli.app, ["verify", "--anchor", str(saved), "--json", *db_opt])
        assert result.exit_code == 1 and json.loads(result.stdout)["problem"]["kind"] == "truncated"


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_tampered_or_missing_anchor_is_refused(backend: str, tmp_path: Path) -> None:
    with seeded(backend, tmp_path) as (url, _):
        db_opt = ["--database-url", url]
        anchor = json.loads(runner.invoke(cli.app, ["anchor", *db_opt]).stdout)
        anchor["seq"] = 3
        forged = tmp_path / "forged.json"
        forged.write_text(json.dumps(anchor))
        result = runner.invoke(cli.app, ["verify", "--anchor", str(forged), *db_opt])
        assert result.exit_code == 1 and "anchor: its MAC does not match" in result.stderr
        result = runner.invoke(cli.app, ["verify", "--anchor", str(tmp_path / "nowhere.json"), *db_opt])
        assert result.exit_code != 0


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_broken_chain_is_not_anchored(backend: str, tmp_path: Path) -> None:
    with seeded(backend, tmp_path) as (url, db):
        execute(db, "UPDATE audit_record SET action = 'incident.cancel' WHERE seq = 3")
        result = runner.invoke(cli.app, ["anchor", "--database-url", url])
        assert result.exit_code == 1 and result.stdout == ""
        assert "not anchored: changed at seq 3" in result.stderr


@pytest.mark.parametrize("backend", BACKENDS)
def test_rotate_key(backend: str, tmp_path: Path, key_file: Path) -> None:
    with seeded(backend, tmp_path, incidents=1) as (url, _):
        result = runner.invoke(cli.app, ["rotate-key"])
        assert result.exit_code == 0, result.output
        new_id = auditkey.keyring().current
        assert f"new audit key {new_id} in {key_file}" in result.stdout
        assert len(key_file.read_text().splitlines()) == 2
        result = runner.invoke(cli.app, ["verify", "--database-url", url])
        assert result.exit_code == 0 and "intact: 2 records" in result.stdout


def test_rotate_key_with_an_inline_key_says_how(key_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIGIL_AUDIT_KEY", "a passphrase of more than sixteen bytes")
    get_settings.cache_clear()
    result = runner.invoke(cli.app, ["rotate-key"])
    assert result.exit_code == 1 and "VIGIL_AUDIT_KEY is set" in result.stderr
    assert not key_file.exists()
