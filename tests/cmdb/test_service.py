"""CMDB service: classes and attribute schemas, natural keys, external ids, relationships, impact with
cycles, history, retiring with open work, and impacted services on incidents."""

from __future__ import annotations

import importlib

import pytest
from sqlalchemy.orm import Session

from tests.factories.auth import make_team
from tests.factories.cmdb import make_ci, relate
from tests.factories.incidents import make_incident
from vigil.cmdb import service
from vigil.cmdb.schemas import (
    CIClassCreate,
    CIClassUpdate,
    CICreate,
    CIUpdate,
    ImpactQuery,
    RelationshipCreate,
)
from vigil.core.actor import Actor
from vigil.core.errors import Conflict, Duplicate, Invalid, NotFound, StaleVersion
from vigil.incidents import service as incident_service
from vigil.incidents.schemas import IncidentCreate, IncidentResolve, IncidentUpdate
from vigil.incidents.settings import IncidentSettings

SERVER_SCHEMA = {
    "type": "object",
    "properties": {"cpu": {"type": "integer", "minimum": 1}, "os": {"type": "string"}},
    "required": ["cpu"],
    "additionalProperties": False,
}


def test_builtin_classes_are_seeded(session: Session) -> None:
    keys = {c.key for c in service.list_classes(session=session)}
    assert {"business_service", "technical_service", "application", "host", "virtual_machine", "container",
            "database", "network_device", "storage", "certificate"} <= keys  # fmt: skip
    assert service.get_class(session=session, key="business_service").is_service


def test_a_class_schema_is_checked_on_every_write(session: Session, admin: Actor) -> None:
    service.create_class(
        session=session,
        actor=admin,
        data=CIClassCreate(key="server", label="Server", attribute_schema=SERVER_SCHEMA),
    )
    ci = make_ci(session, admin, "web-01", ci_class="server", attributes={"cpu": 8, "os": "debian"})
    assert ci.attributes == {"cpu": 8, "os": "debian"}
    with pytest.raises(Invalid) as bad:
        make_ci(session, admin, "web-02", ci_class="server", attributes={"cpu": "eight"})
    assert bad.value.errors[0]["field"] == "attributes.cpu"
    with pytest.raises(Invalid) as missing:
        make_ci(session, admin, "web-03", ci_class="server", attributes={})
    assert "cpu" in missing.value.detail
    with pytest.raises(Invalid):
        service.update(session=session, actor=admin, ref="web-01", data=CIUpdate(attributes={"cpu": 0}))
    assert service.get(session=session, actor=admin, ref="web-01").attributes["cpu"] == 8


def test_a_schema_that_is_not_json_schema_or_refuses_existing_cis_is_invalid(
    session: Session, admin: Actor
) -> None:
    with pytest.raises(Invalid) as bad:
        service.create_class(
            session=session,
            actor=admin,
            data=CIClassCreate(key="odd", label="Odd", attribute_schema={"type": "no-such-type"}),
        )
    assert bad.value.errors[0]["field"] == "attribute_schema"
    make_ci(session, admin, "plain-01", ci_class="host", attributes={"rack": "R1"})
    stricter = CIClassUpdate(attribute_schema={"type": "object", "additionalProperties": False})
    with pytest.raises(Invalid) as refused:
        service.update_class(session=session, actor=admin, key="host", data=stricter)
    assert "plain-01" in refused.value.detail
    assert service.get_class(session=session, key="host").attribute_schema == {}


def test_names_are_unique_per_class_and_environment(session: Session, admin: Actor) -> None:
    make_ci(session, admin, "db-01", ci_class="database")
    staging = make_ci(session, admin, "db-01", ci_class="database", environment="staging")
    make_ci(session, admin, "db-01", ci_class="host")
    second = make_ci(session, admin, "db-02", ci_class="database", environment="staging")
    with pytest.raises(Duplicate):
        make_ci(session, admin, "db-01", ci_class="database")
    with pytest.raises(Conflict) as ambiguous:
        service.get(session=session, actor=admin, ref="db-01")
    assert "3 configuration items" in ambiguous.value.detail
    assert service.get(session=session, actor=admin, ref=str(staging.id)).environment == "staging"
    with pytest.raises(Duplicate):
        service.update(session=session, actor=admin, ref=str(second.id), data=CIUpdate(name="db-01"))
    assert second.name == "db-02"


def test_external_ids_are_unique_per_source(session: Session, admin: Actor) -> None:
    ids = [{"source": "netbox", "external_id": "dcim.device:17"}]
    make_ci(session, admin, "sw-01", ci_class="network_device", external_ids=ids)
    with pytest.raises(Duplicate) as taken:
        make_ci(session, admin, "sw-02", ci_class="network_device", external_ids=ids)
    assert "sw-01" in taken.value.detail
    other_source = [{"source": "aws", "external_id": "dcim.device:17"}]
    assert make_ci(session, admin, "sw-03", ci_class="network_device", external_ids=other_source).external_ids


def test_owner_team_and_unknown_refs(session: Session, admin: Actor) -> None:
    team = make_team(session, admin, name="Platform")
    ci = make_ci(session, admin, "k8s", ci_class="technical_service", owner_team="Platform")
    assert ci.owner_team_id == team.id
    with pytest.raises(Invalid) as bad:
        make_ci(session, admin, "k9s", owner_team="Nobody")
    assert bad.value.errors[0]["field"] == "owner_team"
    with pytest.raises(Invalid) as bad_class:
        make_ci(session, admin, "x", ci_class="spaceship")
    assert "host" in bad_class.value.detail
    with pytest.raises(NotFound):
        service.get(session=session, actor=admin, ref="no-such-ci")


def test_every_change_is_in_the_history(session: Session, admin: Actor) -> None:
    db = make_ci(session, admin, "pg", ci_class="database")
    host = make_ci(session, admin, "pg-host")
    service.update(session=session, actor=admin, ref="pg", data=CIUpdate(criticality=1, tags=["sql"]))
    rel = relate(session, admin, db, "hosted_on", host)
    service.unrelate(session=session, actor=admin, ref="pg", relationship_id=rel.id)
    entries = service.history(session=session, actor=admin, ref="pg")
    assert [e.action for e in entries] == ["ci.create", "ci.update", "ci.relate", "ci.unrelate"]
    assert entries[1].changes == {"criticality": [3, 1], "tags": [[], ["sql"]]}
    assert entries[2].changes == {"relationship": [None, "pg is hosted on pg-host"]}
    # The other end tells it too.
    assert [e.action for e in service.history(session=session, actor=admin, ref="pg-host")][-2:] == [
        "ci.relate",
        "ci.unrelate",
    ]


def test_a_stale_update_is_refused(session: Session, admin: Actor) -> None:
    ci = make_ci(session, admin, "stale")
    service.update(
        session=session, actor=admin, ref="stale", data=CIUpdate(criticality=2), expected_version=1
    )
    with pytest.raises(StaleVersion):
        service.update(
            session=session, actor=admin, ref=str(ci.id), data=CIUpdate(criticality=1), expected_version=1
        )


def test_relationships_read_both_ways_and_refuse_repeats_and_loops(session: Session, admin: Actor) -> None:
    app = make_ci(session, admin, "billing-api", ci_class="application")
    host = make_ci(session, admin, "node-1")
    service.relate(
        session=session,
        actor=admin,
        ref="billing-api",
        data=RelationshipCreate(kind="runs_on", target="node-1"),
    )
    out = service.relationships(session=session, actor=admin, ref="billing-api")
    back = service.relationships(session=session, actor=admin, ref="node-1")
    assert [(r.label, r.ci.name, r.direction) for r in out] == [("runs on", "node-1", "outgoing")]
    assert [(r.label, r.ci.name, r.direction) for r in back] == [("runs", "billing-api", "incoming")]
    with pytest.raises(Duplicate):
        relate(session, admin, app, "runs_on", host)
    with pytest.raises(Invalid):
        relate(session, admin, host, "depends_on", host)
    with pytest.raises(Invalid):
        service.relate(session=session, actor=admin, ref="node-1", data=RelationshipCreate(kind="runs_on"))
    # The same pair may hold another kind.
    relate(session, admin, app, "depends_on", host)


def _chain(session: Session, admin: Actor) -> dict[str, object]:
    """switch <- host <- db <- app <- Billing (business service, criticality 1), with a cycle app <-> cache
    and a part_of edge: host part_of cluster (the cluster is reached from the host)."""
    names = {
        "switch": "network_device", "host": "host", "db": "database", "app": "application",
        "cache": "database", "cluster": "technical_service",
    }  # fmt: skip
    cis: dict[str, object] = {n: make_ci(session, admin, n, ci_class=c) for n, c in names.items()}
    cis["Billing"] = make_ci(session, admin, "Billing", ci_class="business_service", criticality=1)
    for source, kind, target in [
        ("host", "connects_to", "switch"), ("db", "hosted_on", "host"), ("app", "depends_on", "db"),
        ("Billing", "depends_on", "app"), ("app", "depends_on", "cache"), ("cache", "depends_on", "app"),
        ("host", "part_of", "cluster"),
    ]:  # fmt: skip
        relate(session, admin, cis[source], kind, cis[target])  # type: ignore[arg-type]
    return cis


def test_impact_upstream_with_a_cycle_and_part_of(session: Session, admin: Actor) -> None:
    _chain(session, admin)
    read = service.impact(session=session, actor=admin, ref="switch", query=ImpactQuery(depth=10))
    got = {i.ci.name: i.distance for i in read.items}
    assert got == {"host": 1, "db": 2, "cluster": 2, "app": 3, "Billing": 4, "cache": 4}
    billing = next(i for i in read.items if i.ci.name == "Billing")
    assert [(s.label, s.ci.name) for s in billing.path] == [
        ("is connected from", "host"), ("hosts", "db"), ("is depended on by", "app"),
        ("is depended on by", "Billing"),
    ]  # fmt: skip
    assert {s.ci.name for s in read.services} == {"Billing", "cluster"}
    assert not read.truncated
    shallow = service.impact(session=session, actor=admin, ref="switch", query=ImpactQuery(depth=2))
    assert {i.ci.name for i in shallow.items} == {"host", "db", "cluster"}


def test_impact_downstream_is_what_a_service_relies_on(session: Session, admin: Actor) -> None:
    _chain(session, admin)
    read = service.impact(
        session=session, actor=admin, ref="Billing", query=ImpactQuery(direction="downstream", depth=10)
    )
    assert {i.ci.name: i.distance for i in read.items} == {
        "app": 1,
        "db": 2,
        "cache": 2,
        "host": 3,
        "switch": 4,
    }
    # part_of runs the other way: the host's cluster does not hold the host up.
    assert "cluster" not in {i.ci.name for i in read.items}


def test_a_cycle_alone_never_hangs(session: Session, admin: Actor) -> None:
    a, b, c = (make_ci(session, admin, n) for n in ("a", "b", "c"))
    relate(session, admin, a, "depends_on", b)
    relate(session, admin, b, "depends_on", c)
    relate(session, admin, c, "depends_on", a)
    read = service.impact(session=session, actor=admin, ref="a", query=ImpactQuery(depth=25))
    assert {i.ci.name: i.distance for i in read.items} == {"c": 1, "b": 2}


def test_retiring_a_ci_with_open_incidents_asks_for_confirmation(session: Session, admin: Actor) -> None:
    make_ci(session, admin, "old-db", ci_class="database")
    incident = make_incident(session, admin, affected_cis=["old-db"])
    with pytest.raises(Conflict) as asked:
        service.update(session=session, actor=admin, ref="old-db", data=CIUpdate(status="retired"))
    assert incident.number in asked.value.detail and asked.value.extra["open_work"] == [incident.number]
    assert service.get(session=session, actor=admin, ref="old-db").status == "active"
    done = service.update(
        session=session, actor=admin, ref="old-db", data=CIUpdate(status="retired", confirm=True)
    )
    assert done.status == "retired"


def test_open_work_covers_what_the_ci_relies_on(session: Session, admin: Actor) -> None:
    _chain(session, admin)
    on_db = make_incident(session, admin, title="db slow", affected_cis=["db"])
    make_incident(session, admin, title="elsewhere", affected_cis=["cluster"])
    found = service.open_work_below(session=session, actor=admin, ref="Billing")
    assert [(w.number, w.kind) for w in found] == [(on_db.number, "incident")]
    resolution = IncidentResolve(resolution_code="fixed", resolution_notes="restarted")
    incident_service.resolve(session=session, actor=admin, ref=on_db.number, data=resolution)
    assert service.open_work_below(session=session, actor=admin, ref="Billing") == []


def test_an_incident_stores_the_services_it_impacts_and_a_critical_one_raises_impact(
    session: Session, admin: Actor
) -> None:
    _chain(session, admin)
    incident = make_incident(session, admin, affected_cis=["db"], impact="low", urgency="medium")
    read = incident_service.to_read(incident)
    assert [(s.ci.name, s.distance) for s in read.impacted_services] == [("Billing", 2)]
    assert read.impact == "high" and read.priority == "P2"
    entries = incident_service.timeline(session=session, actor=admin, ref=incident.number)
    raised = [e for e in entries if e.action == "incident.impact_raised"]
    assert [e.summary for e in raised] == [
        "raised the impact from Low to High: it affects Billing, a service of criticality 1"
    ]


def test_every_service_is_listed_however_many_nearer_cis_are_left_out(
    session: Session, admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An answer lists the nearest MAX_ITEMS CIs and every service, with their paths (read back through
    CIs it does not list), and counts all it reached; an incident on the switch stores the services."""
    cis = _chain(session, admin)
    for n in range(12):
        rack_host = make_ci(session, admin, f"rack-host-{n}")
        relate(session, admin, rack_host, "connects_to", cis["switch"])  # type: ignore[arg-type]
    # (the package exports the function `impact`, which hides the module of that name)
    monkeypatch.setattr(importlib.import_module("vigil.cmdb.service.impact"), "MAX_ITEMS", 5)
    near = service.impact(session=session, actor=admin, ref="switch", query=ImpactQuery(depth=10))
    assert near.truncated and near.reached == 18
    assert [i.ci.name for i in near.items if not i.is_service] == ["host", "rack-host-0", "rack-host-1",
                                                                   "rack-host-10", "rack-host-11"]  # fmt: skip
    billing = next(i for i in near.services if i.ci.name == "Billing")
    assert (billing.distance, [s.ci.name for s in billing.path]) == (4, ["host", "db", "app", "Billing"])
    assert [(s.ci.name, s.distance) for s in near.services] == [("cluster", 2), ("Billing", 4)]
    incident = make_incident(session, admin, affected_cis=["switch"], impact="low")
    assert [(s.ci.name, s.distance) for s in incident_service.to_read(incident).impacted_services] == [
        ("cluster", 2),
        ("Billing", 4),
    ]
    assert incident.impact == "high"  # Billing has criticality 1, however far it is


def test_the_rule_is_configurable_and_a_set_priority_stays(session: Session, admin: Actor) -> None:
    _chain(session, admin)
    off = IncidentSettings(critical_service_raises_impact_at=None)
    quiet = incident_service.create(
        session=session, actor=admin, settings=off,
        data=IncidentCreate(title="Payments failing", affected_cis=["db"], impact="low"),
    )  # fmt: skip
    assert quiet.impact == "low" and [r.ci.name for r in quiet.impacted_services] == ["Billing"]
    pinned = make_incident(session, admin, impact="low", priority="P4", priority_reason="known quirk")
    incident_service.update(
        session=session, actor=admin, ref=pinned.number, data=IncidentUpdate(affected_cis=["app"])
    )
    assert pinned.impact == "high" and pinned.priority == "P4"
    incident_service.update(
        session=session, actor=admin, ref=pinned.number, data=IncidentUpdate(affected_cis=[])
    )
    assert pinned.impacted_services == []


def test_create_through_the_schema_refuses_bad_values() -> None:
    with pytest.raises(ValueError):
        CICreate(name="x", criticality=5)
    with pytest.raises(ValueError):
        CICreate(name="x", environment="moon")
    with pytest.raises(ValueError):
        CICreate(name="x", status="operational")


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "object", "properties": {"a": {"$ref": "https://example.com/a.json"}}},
        {"type": "array"},
        {"type": "object", "properties": {"a": {"type": "string", "pattern": "("}}},
    ],
)
def test_schemas_vigil_cannot_use_are_refused(
    session: Session, admin: Actor, schema: dict[str, object]
) -> None:
    with pytest.raises(Invalid) as bad:
        service.create_class(
            session=session, actor=admin, data=CIClassCreate(key="odd", label="Odd", attribute_schema=schema)
        )
    assert bad.value.errors[0]["field"] == "attribute_schema"


def test_a_local_ref_that_leads_nowhere_is_invalid_input(session: Session, admin: Actor) -> None:
    schema = {"type": "object", "properties": {"a": {"$ref": "#/$defs/missing"}}}
    service.create_class(
        session=session, actor=admin, data=CIClassCreate(key="odd", label="Odd", attribute_schema=schema)
    )
    with pytest.raises(Invalid) as bad:
        make_ci(session, admin, "odd-1", ci_class="odd", attributes={"a": 1})
    assert bad.value.errors[0]["field"] == "attributes"
