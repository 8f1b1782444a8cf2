"""`v.cis` and `v.ci_classes`: the CMDB through the library, in-process and over HTTP alike, and
`vigil cmdb ...` against a real server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import vigil
from tests.library.conftest import Connector, mint_token, unique
from tests.procs import Server
from vigil.cli import app


def test_cis_relationships_impact_and_history(connect: Connector) -> None:
    v = connect()
    word = unique("lib")
    key = f"probe_{word.replace('-', '_').lower()}"[:60]
    cls = v.ci_classes.create(
        key=key,
        label=f"Probe {word}",
        attribute_schema={"type": "object", "properties": {"port": {"type": "integer"}}},
    )
    assert (
        cls.key == key
        and key in {c.key for c in v.ci_classes.list()}
        and v.ci_classes.get(key).label == cls.label
    )
    host = v.cis.create(name=f"{word}-host", ci_class="host", criticality=2)
    probe = v.cis.create(name=f"{word}-probe", ci_class=key, attributes={"port": 9100})
    svc = v.cis.create(name=f"{word}-svc", ci_class="business_service", criticality=1)
    with pytest.raises(vigil.Invalid) as bad:
        v.cis.create(name=f"{word}-bad", ci_class=key, attributes={"port": "x"})
    assert bad.value.errors[0]["field"] == "attributes.port"
    rel = v.cis.relate(probe.id, "runs_on", target=host.id)
    assert rel.label == "runs on" and rel.ci.id == host.id
    v.cis.relate(probe.id, "depends_on", source=svc.id)
    with pytest.raises(vigil.Duplicate):
        v.cis.relate(probe.id, "runs_on", target=host.id)
    assert [(r.label, r.ci.name) for r in v.cis.relationships(host.id)] == [("runs", probe.name)]
    read = v.cis.impact(host.id, depth=5)
    assert [(i.ci.name, i.distance) for i in read.items] == [(probe.name, 1), (svc.name, 2)]
    assert [s.ci.name for s in read.services] == [svc.name]
    assert [i.ci.name for i in v.cis.impact(svc.id, direction="downstream").items] == [probe.name, host.name]
    changed = v.cis.update(probe.id, criticality=1, version=probe.version)
    assert changed.criticality == 1 and changed.version == probe.version + 1
    with pytest.raises(vigil.StaleVersion):
        v.cis.update(probe.id, criticality=2, version=probe.version)
    v.cis.unrelate(host.id, rel.id)
    assert v.cis.relationships(host.id) == []
    assert [h.action for h in v.cis.history(probe.id)] == [
        "ci.create",
        "ci.relate",
        "ci.relate",
        "ci.update",
        "ci.unrelate",
    ]
    assert v.cis.open_work(svc.id) == []
    assert [c.name for c in v.cis.iterate(q=word, ci_class="host")] == [host.name]


def test_an_agent_reads_but_may_not_write(connect: Connector) -> None:
    agent = connect(connect.user("agent"))
    assert agent.ci_classes.list()
    with pytest.raises(vigil.Forbidden):
        agent.cis.create(name=unique("nope"), ci_class="host")
    keeper = connect(connect.user("cmdb_manager"))
    made = keeper.cis.create(name=unique("kept"), ci_class="host")
    assert agent.cis.get(made.id).name == made.name


def test_vigil_cmdb_on_a_server(database: str, server: Server, tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"VIGIL_URL": server.url, "VIGIL_TOKEN": mint_token(database, "admin@vigil.example", "admin"),
           "XDG_CONFIG_HOME": str(tmp_path), "COLUMNS": "200"}  # fmt: skip

    def cli(*args: str) -> tuple[int, str]:
        result = runner.invoke(app, list(args), env=env)
        return result.exit_code, result.output

    word = unique("cli")
    code, out = cli(
        "cmdb", "create", f"{word}-db", "--class", "database", "--attr", "port=5432", "--tag", "sql"
    )
    assert code == 0 and f"registered {word}-db" in out, out
    code, out = cli("cmdb", "create", f"{word}-app", "--class", "application", "--criticality", "1")
    assert code == 0, out
    code, out = cli("cmdb", "relate", f"{word}-app", "depends_on", f"{word}-db")
    assert code == 0 and f"{word}-app depends on {word}-db" in out, out
    code, out = cli("cmdb", "impact", f"{word}-db", "--json")
    assert code == 0, out
    assert [(i["ci"]["name"], i["distance"]) for i in json.loads(out)["items"]] == [(f"{word}-app", 1)]
    code, out = cli("cmdb", "show", f"{word}-db", "--json")
    shown = json.loads(out)
    assert code == 0 and shown["attributes"] == {"port": 5432} and shown["tags"] == ["sql"]
    assert [r["label"] for r in shown["relationships"]] == ["is depended on by"]
    code, out = cli("cmdb", "list", "--q", word, "--json")
    assert code == 0 and [c["name"] for c in json.loads(out)["items"]] == [f"{word}-app", f"{word}-db"]
    code, out = cli("cmdb", "relate", f"{word}-app", "owns", f"{word}-db")
    assert code == 1 and "KIND: Input should be 'depends_on'" in out, out
    code, out = cli("cmdb", "create", f"{word}-x", "--class", "spaceship")
    assert code == 1 and "unknown CI class 'spaceship'" in out, out
    code, out = cli("cmdb", "class", "list")
    assert code == 0 and "business_service" in out


def test_import_with_a_dry_run_then_for_real(connect: Connector) -> None:
    v = connect()
    word = unique("imp")
    csv = f"name,ci_class,criticality,attr.rack\n{word}-a,host,2,R1\n{word}-b,host,3,R2\n"
    dry = v.cis.import_(csv, format="csv", dry_run=True)
    assert dry.dry_run and not dry.applied and dry.counts.created == 2
    assert list(v.cis.iterate(q=word)) == []
    done = v.cis.import_(csv, format="csv")
    assert done.applied and [c.name for c in v.cis.iterate(q=word)] == [f"{word}-a", f"{word}-b"]
    again = v.cis.import_(csv.replace("R2", "R9"), format="csv")
    assert again.counts.changed == 1 and again.counts.unchanged == 1
    with pytest.raises(vigil.Invalid) as bad:
        v.cis.import_(f"name,ci_class,criticality\n{word}-c,host,9\n", format="csv")
    assert "line 2" in bad.value.errors[0]["message"]
    assert [c.name for c in v.cis.iterate(q=word)] == [f"{word}-a", f"{word}-b"]
