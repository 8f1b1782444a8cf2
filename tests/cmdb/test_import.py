"""CMDB bulk import from CSV and JSON: the diff (created, changed old -> new, unchanged), dry runs, a bad row
refusing the whole import with its line number, attribute schemas, upsert by external id, relationships;
the API action and the CLI command once each."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.dbutil import BACKENDS, fresh_database
from tests.factories.auth import actor, api_token, make_team, make_user
from vigil.app import create_app
from vigil.auth.roles import Role
from vigil.cli import app as vigil_app
from vigil.cmdb import importer
from vigil.cmdb import service as cmdb
from vigil.cmdb.cli_import import register
from vigil.cmdb.import_schemas import ImportReport
from vigil.cmdb.models import CIRelationship, ConfigurationItem
from vigil.cmdb.schemas import CIClassUpdate, CICreate
from vigil.core.actor import Actor
from vigil.core.db import Database
from vigil.core.errors import Forbidden, Invalid

CSV = """name,ci_class,environment,status,criticality,owner_team,description,tags,attr.port,attr.tls,rel.runs_on
web-01,host,prod,active,2,Platform,Front web server,web;edge,,,
api,application,prod,active,1,Platform,The public API,api,8443,true,web-01
db-01,database,staging,,3,,,,,,
"""


def _count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(ConfigurationItem)) or 0)


@pytest.fixture
def setup(session: Session, admin: Actor) -> Actor:
    make_team(session, admin, name="Platform")
    cmdb.update_class(
        session=session, actor=admin, key="application",
        data=cmdb_schema({"port": {"type": "integer", "maximum": 65535}, "tls": {"type": "boolean"}}),
    )  # fmt: skip
    return admin


def cmdb_schema(props: dict[str, object]) -> CIClassUpdate:
    return CIClassUpdate(attribute_schema={"type": "object", "properties": props})


def _csv(session: Session, admin: Actor, text: str, dry_run: bool = False) -> ImportReport:
    return importer.import_text(session=session, actor=admin, fmt="csv", content=text, dry_run=dry_run)


def test_csv_creates_then_reports_changes_and_unchanged(session: Session, setup: Actor) -> None:
    first = _csv(session, setup, CSV)
    assert first.applied and not first.errors
    assert [c.name for c in first.created] == ["web-01", "api", "db-01"]
    assert [c.line for c in first.created] == [2, 3, 4]
    api = cmdb.get(session=session, actor=setup, ref="api")
    assert (
        api.attributes == {"port": 8443, "tls": True} and api.owner_team and api.owner_team.name == "Platform"
    )
    assert api.tags == ["api"] and api.criticality == 1
    assert [(r.label, r.ci.name) for r in cmdb.relationships(session=session, actor=setup, ref="api")] == [
        ("runs on", "web-01")
    ]
    changed = CSV.replace("8443", "9443").replace("Front web server", "Front web")
    second = _csv(session, setup, changed)
    assert {c.name for c in second.unchanged} == {"db-01"}
    by_name = {c.name: c for c in second.changed}
    assert [(x.field, x.old, x.new) for x in by_name["api"].changes] == [("attributes.port", 8443, 9443)]
    assert [(x.field, x.old, x.new) for x in by_name["web-01"].changes] == [
        ("description", "Front web server", "Front web")
    ]
    assert second.counts.relationships == 0 and second.counts.relationships_unchanged == 1
    assert _count(session) == 3
    assert cmdb.get(session=session, actor=setup, ref="api").attributes["port"] == 9443


def test_dry_run_writes_nothing(session: Session, setup: Actor) -> None:
    report = _csv(session, setup, CSV, dry_run=True)
    assert report.dry_run and not report.applied and report.counts.created == 3
    assert report.counts.relationships == 1
    assert _count(session) == 0


def test_one_bad_row_refuses_everything_naming_its_line(session: Session, setup: Actor) -> None:
    bad = CSV + "cache,nosuchclass,prod,,,,,,,,\nlb,host,prod,,7,,,,,,\n"
    report = _csv(session, setup, bad)
    assert not report.applied
    assert [(e.line, e.field) for e in report.errors] == [(5, "ci_class"), (6, "criticality")]
    assert "unknown CI class 'nosuchclass'" in report.errors[0].message
    assert _count(session) == 0
    with pytest.raises(Invalid) as caught:
        importer.refuse(report)
    assert "line 5" in caught.value.detail and caught.value.errors[1]["message"].startswith("line 6: ")


def test_attribute_schema_violations(session: Session, setup: Actor) -> None:
    text = "name,ci_class,attr.port\napi,application,70000\nweb,application,eighty\n"
    report = _csv(session, setup, text)
    assert [(e.line, e.field) for e in report.errors] == [(2, "attributes.port"), (3, "attributes.port")]
    assert "65535" in report.errors[0].message
    assert _count(session) == 0


def test_unknown_team_and_repeated_row(session: Session, setup: Actor) -> None:
    text = "name,ci_class,owner_team\nweb,host,Nobody\nweb,host,\n"
    report = _csv(session, setup, text)
    assert [(e.line, e.field) for e in report.errors] == [(2, "owner_team")]
    text = "name,ci_class\nweb,host\nweb,host\n"
    assert [(e.line, e.message) for e in _csv(session, setup, text).errors] == [
        (3, "'web' is already given at line 2")
    ]


def test_json_upserts_by_external_id(session: Session, setup: Actor) -> None:
    doc = {
        "cis": [
            {"name": "db-main", "ci_class": "database", "external_ids": [{"source": "cmdb-old", "external_id": "42"}]},
            {"name": "Payroll", "ci_class": "business_service"},
        ],
        "relationships": [
            {"source": "Payroll", "kind": "depends_on", "target": {"source": "cmdb-old", "external_id": "42"}}
        ],
    }  # fmt: skip
    first = importer.import_text(session=session, actor=setup, fmt="json", content=json.dumps(doc))
    assert first.counts.created == 2 and first.counts.relationships == 1
    doc["cis"][0]["name"] = "db-primary"  # renamed in the other system: the same CI, renamed here
    second = importer.import_text(session=session, actor=setup, fmt="json", content=json.dumps(doc))
    assert second.counts.created == 0 and second.counts.relationships_unchanged == 1
    assert [(c.field, c.old, c.new) for c in second.changed[0].changes] == [("name", "db-main", "db-primary")]
    assert _count(session) == 2
    assert session.scalar(select(func.count()).select_from(CIRelationship)) == 1


def test_json_errors_name_the_item(session: Session, setup: Actor) -> None:
    doc = [{"name": "ok", "ci_class": "host"}, {"name": "", "ci_class": "host"}, {"name": "x", "bogus": 1}]
    report = importer.import_text(session=session, actor=setup, fmt="json", content=json.dumps(doc))
    assert [(e.index, e.field) for e in report.errors] == [(1, "name"), (2, "bogus")]
    assert _count(session) == 0
    bad = importer.import_text(session=session, actor=setup, fmt="json", content="{nope")
    assert bad.errors[0].message.startswith("not JSON")


def test_relationship_to_an_existing_ci_and_unknown_ones(session: Session, setup: Actor) -> None:
    cmdb.create(session=session, actor=setup, data=CICreate(name="san", ci_class="storage"))
    report = _csv(session, setup, "name,ci_class,rel.depends_on\nfiler,host,san\nnas,host,ghost\n")
    assert [(e.line, e.field) for e in report.errors] == [(3, "target")]
    ok = _csv(session, setup, "name,ci_class,rel.depends_on\nfiler,host,san\n")
    assert ok.applied and [(r.source, r.kind, r.target) for r in ok.relationships] == [
        ("filer", "depends_on", "san")
    ]


def test_only_keepers_import(session: Session, admin: Actor) -> None:
    agent = actor(session, make_user(session, admin, Role.AGENT))
    with pytest.raises(Forbidden):
        _csv(session, agent, CSV)
    manager = actor(session, make_user(session, admin, Role.CMDB_MANAGER))
    assert _csv(session, manager, "name,ci_class\nweb,host\n").applied


def test_api_import(db: Database, session: Session, setup: Actor) -> None:
    with TestClient(create_app(db)) as client:
        client.headers["Authorization"] = f"Bearer {api_token(session, setup.user_id, 'admin')}"
        r = client.post("/api/v1/cis/import", json={"format": "csv", "content": CSV, "dry_run": True})
        assert r.status_code == 200 and r.json()["counts"]["created"] == 3 and _count(session) == 0
        r = client.post("/api/v1/cis/import", json={"format": "csv", "content": CSV + "x,nope,,,,,,,,,\n"})
        assert r.status_code == 422, r.text
        assert r.json()["errors"] == [
            {"field": "ci_class", "line": 5, "index": None, "message": r.json()["errors"][0]["message"]}
        ]
        assert r.json()["errors"][0]["message"].startswith("line 5: unknown CI class")
        assert _count(session) == 0
        r = client.post("/api/v1/cis/import", json={"format": "csv", "content": CSV})
        assert r.status_code == 200 and r.json()["applied"] and _count(session) == 3


runner = CliRunner()


@pytest.fixture(params=BACKENDS)
def cli_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[list[str]]:
    with fresh_database(request.param, tmp_path) as url:
        opts = ["--database-url", url]
        assert runner.invoke(vigil_app, ["db", "upgrade", *opts]).exit_code == 0
        runner.invoke(
            vigil_app,
            ["user", "create", "--email", "ops@example.com", "--role", "admin", "--no-password", *opts],
        )
        yield opts


def test_cli_import(cli_db: list[str], tmp_path: Path) -> None:
    group = typer.Typer()
    register(group)
    path = tmp_path / "cis.csv"
    path.write_text("name,ci_class,attr.rack\nweb-01,host,R1\nweb-02,host,R2\n")
    result = runner.invoke(group, ["import", str(path), "--dry-run", *cli_db], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "create" in result.output and "web-02" in result.output and "2 created" in result.output
    result = runner.invoke(group, ["import", str(path), "--json", *cli_db])
    assert result.exit_code == 0 and json.loads(result.output)["counts"]["created"] == 2
    path.write_text("name,ci_class,attr.rack\nweb-01,host,R9\nweb-03,nope,\n")
    result = runner.invoke(group, ["import", str(path), *cli_db], env={"COLUMNS": "200"})
    assert result.exit_code == 1 and "line 3: ci_class: unknown CI class 'nope'" in result.output
    assert "R1 -> R9" in result.output
    with Database(cli_db[1]).unit_of_work() as s:
        assert s.scalar(select(ConfigurationItem.attributes).where(ConfigurationItem.name == "web-01")) == {
            "rack": "R1"
        }


def test_many_external_ids_are_matched_in_bulk(session: Session, admin: Actor) -> None:
    """Over 500 external ids (one read of the source's ids rather than chunks of IN): a re-run changes nothing."""
    doc = [
        {"name": f"h{i}", "ci_class": "host", "external_ids": [{"source": "inv", "external_id": str(i)}]}
        for i in range(520)
    ]
    text = json.dumps(doc)
    assert importer.import_text(session=session, actor=admin, fmt="json", content=text).counts.created == 520
    doc[7]["name"] = "h7-renamed"
    again = importer.import_text(session=session, actor=admin, fmt="json", content=json.dumps(doc))
    assert (again.counts.created, again.counts.changed, again.counts.unchanged) == (0, 1, 519)


def test_a_header_cell_over_the_csv_limit_is_a_line_error_not_a_500() -> None:
    batch = importer.parse_csv("x" * 200_000 + "\nweb-01,host\n")
    assert [(e.line, e.field) for e in batch.errors][:1] == [(1, "form")]
    assert "not CSV" in batch.errors[0].message
