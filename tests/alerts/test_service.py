"""Intake service: dedup, attach, recovery (resolve or note), mapping, stored-not-created and promote."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.alerts.conftest import Deliver
from tests.factories.alerts import am_alert, am_payload, body, make_integration
from tests.factories.auth import make_team, make_user
from vigil.alerts import payloads, service
from vigil.alerts.models import Alert, AlertDelivery, AlertGroup, Integration
from vigil.alerts.schemas import AlertFilter
from vigil.auth.roles import Role
from vigil.cmdb import service as cmdb_service
from vigil.cmdb.schemas import CICreate
from vigil.core.actor import Actor
from vigil.core.errors import Conflict, Invalid
from vigil.incidents.models import Incident, IncidentComment


def _count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _incident(session: Session, number: str) -> Incident:
    return session.scalars(select(Incident).where(Incident.number == number)).one()


def test_first_firing_alert_opens_one_incident_and_repeats_attach(
    session: Session, admin: Actor, integration: Integration, deliver: Deliver
) -> None:
    cmdb_service.create(session=session, actor=admin, data=CICreate(name="db1", ci_class="host"))
    first = deliver(integration, am_payload(am_alert(instance="db1:9100")))
    assert first.results == ["created"] and len(first.incidents) == 1
    incident = _incident(session, first.incidents[0])
    assert incident.priority == "P1" and incident.title == "HostDown on db1:9100"
    assert [c.name for c in incident.affected_cis] == ["db1"]
    assert "https://runbooks.example/host-down" in incident.description
    for _ in range(3):
        again = deliver(integration, am_payload(am_alert(instance="db1:9100")))
        assert again.results == ["attached"] and again.incidents == first.incidents
    assert _count(session, Incident) == 1
    alert = session.scalars(select(Alert)).one()
    assert alert.count == 4 and alert.labels["instance"] == "db1:9100"
    assert alert.first_seen_at <= alert.last_seen_at and alert.ends_at is None
    assert session.scalars(select(IncidentComment)).all() == []  # repeats say nothing
    assert _count(session, AlertDelivery) == 4


def test_a_new_alert_of_the_group_attaches_with_one_note(
    session: Session, integration: Integration, deliver: Deliver
) -> None:
    number = deliver(integration, am_payload(am_alert(instance="a")))
    done = deliver(integration, am_payload(am_alert(instance="a"), am_alert(instance="b")))
    assert sorted(done.results) == ["attached", "attached"] and done.incidents == number.incidents
    notes = session.scalars(select(IncidentComment)).all()
    assert len(notes) == 1 and notes[0].internal and "1 more alert" in notes[0].body


@pytest.mark.parametrize("recovery", ["resolve", "note"])
def test_recovery_resolves_or_notes_when_every_alert_is_resolved(
    session: Session, admin: Actor, deliver: Deliver, recovery: str
) -> None:
    integration, _ = make_integration(session, admin, recovery=recovery)
    number = deliver(integration, am_payload(am_alert(instance="a"), am_alert(instance="b"))).incidents[0]
    half = deliver(integration, am_payload(am_alert(instance="a", status="resolved")))
    assert half.results == ["resolved"]
    assert _incident(session, number).status == "open"
    deliver(integration, am_payload(am_alert(instance="b", status="resolved")))
    incident = _incident(session, number)
    session.refresh(incident)
    group = session.scalars(select(AlertGroup)).one()
    assert group.status == "resolved" and group.open_key is None
    if recovery == "resolve":
        assert incident.status == "resolved" and "recovered" in (incident.resolution_notes or "")
    else:
        assert incident.status == "open"
        assert any("recovered" in c.body for c in session.scalars(select(IncidentComment)))
    # The same alert firing again later opens a new group and a new incident.
    again = deliver(integration, am_payload(am_alert(instance="a")))
    assert again.results == ["created"] and again.incidents != [number]


def test_low_priorities_are_stored_and_can_be_promoted(
    session: Session, admin: Actor, integration: Integration, deliver: Deliver
) -> None:
    done = deliver(integration, am_payload(am_alert("DiskFilling", severity="warning")))
    assert done.results == ["stored"] and done.incidents == []
    info = deliver(integration, am_payload(am_alert("Note", severity="SEV4"), group_key="g2"))
    assert info.results == ["stored"] and _count(session, Incident) == 0
    alert = session.scalars(select(Alert).where(Alert.priority == "P3")).one()
    agent = make_user(session, admin, Role.AGENT)
    from tests.factories.auth import actor

    promoted = service.records.promote(session=session, actor=actor(session, agent), alert_id=alert.id)
    assert promoted.incident.startswith("INC-") and promoted.alert.incident == promoted.incident
    assert _incident(session, promoted.incident).priority == "P3"
    with pytest.raises(Conflict):
        service.records.promote(session=session, actor=admin, alert_id=alert.id)
    # Repeats now attach to the promoted incident.
    assert deliver(integration, am_payload(am_alert("DiskFilling", severity="warning"))).results == [
        "attached"
    ]


@pytest.mark.parametrize(
    ("severity", "priority"),
    [("critical", "P1"), ("SEV1", "P1"), ("sev2", "P2"), ("high", "P2"), ("warning", "P3"), ("SEV3", "P3"),
     ("info", "P4"), ("SEV4", "P4"), ("whatever", "P3")],
)  # fmt: skip
def test_severity_maps_to_priority(
    session: Session, integration: Integration, severity: str, priority: str
) -> None:
    raw = body(am_payload(am_alert(severity=severity)))
    result = service.intake.dry_run(session, integration, raw)
    assert result.alerts[0].priority == priority
    assert result.alerts[0].opens_incident == (priority in ("P1", "P2"))


def test_mapping_finds_the_ci_by_netbox_device_name_and_the_team(
    session: Session, admin: Actor, deliver: Deliver
) -> None:
    from vigil.cmdb.schemas import ExternalId

    cmdb_service.create(
        session=session,
        actor=admin,
        data=CICreate(
            name="Core switch A",
            ci_class="network_device",
            external_ids=[ExternalId(source="netbox", external_id="sw-core-a")],
        ),
    )
    make_team(session, admin, name="Network")
    integration, _ = make_integration(
        session, admin, rules={"severities": {"disaster": "P2"}, "ci_labels": ["device"]}
    )
    done = deliver(
        integration, am_payload(am_alert("LinkDown", severity="disaster", device="sw-core-a", team="Network"))
    )
    incident = _incident(session, done.incidents[0])
    assert incident.priority == "P2" and [c.name for c in incident.affected_cis] == ["Core switch A"]
    assert incident.assignment_group is not None and incident.assignment_group.name == "Network"
    assert incident.category == "Other"


def test_a_malformed_payload_names_the_field(integration: Integration) -> None:
    with pytest.raises(Invalid) as err:
        payloads.parse(
            "alertmanager", body({"version": "4", "alerts": [{"status": "burning", "labels": {}}]})
        )
    assert err.value.errors[0]["field"] == "alerts.0.status"
    with pytest.raises(Invalid) as err:
        payloads.parse("alertmanager", b"{not json")
    assert err.value.errors[0]["field"] == "body"
    with pytest.raises(Invalid) as err:
        payloads.parse("generic", body({"alerts": [{"status": "firing"}]}))
    assert err.value.errors[0]["field"] == "alerts.0.title"


def test_a_failing_delivery_is_kept_failed_and_retried(
    session: Session, integration: Integration, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = body(am_payload(am_alert()))

    def broken(*_a: object, **_k: object) -> None:
        raise RuntimeError("the CMDB is on fire")

    monkeypatch.setattr(service.intake.groups, "claim_groups", broken)
    delivery, done = service.intake.receive(session, integration, raw, payloads.parse("alertmanager", raw))
    assert (
        delivery.status == "failed"
        and "CMDB is on fire" in (delivery.error or "")
        and done.results == ["failed"]
    )
    assert _count(session, Incident) == 0
    from vigil.core.jobs.models import Job

    job = session.scalars(select(Job).where(Job.name == "alerts.process_delivery")).one()
    assert job.payload == {"delivery_id": str(delivery.id)}
    monkeypatch.undo()
    retried = service.records.retry_delivery(session=session, actor=_admin(session), delivery_id=delivery.id)
    assert retried.status == "processed" and retried.error is None and _count(session, Incident) == 1
    with pytest.raises(Conflict):
        service.records.retry_delivery(session=session, actor=_admin(session), delivery_id=delivery.id)
    assert service.intake.reprocess(session, delivery.id) is not None  # the job's rerun: nothing happens
    assert _count(session, Incident) == 1


def _admin(session: Session) -> Actor:
    from vigil.auth import service as auth_service
    from vigil.core.actor import Channel

    return auth_service.actor_for(auth_service.resolve_user(session, "admin@vigil.example"), Channel.API)


def test_generic_and_grafana_go_through_the_same_pipeline(
    session: Session, admin: Actor, deliver: Deliver
) -> None:
    generic, _ = make_integration(session, admin, name="hooks", kind="generic")
    done = deliver(
        generic, {"alerts": [{"title": "Payroll job failed", "severity": "critical", "group": "payroll"}]}
    )
    assert done.results == ["created"]
    assert deliver(
        generic, {"alerts": [{"title": "Payroll job failed", "severity": "critical", "group": "payroll"}]}
    ).results == ["attached"]
    grafana, _ = make_integration(session, admin, name="graf", kind="grafana")
    document = {
        **am_payload(am_alert("HighLatency", severity="sev2")),
        "orgId": 1,
        "title": "[FIRING:1]",
        "state": "alerting",
        "message": "...",
    }
    assert deliver(grafana, document).results == ["created"]
    assert _count(session, Incident) == 2


def test_alert_list_filters_and_pages(
    session: Session, admin: Actor, integration: Integration, deliver: Deliver
) -> None:
    for i in range(3):
        deliver(integration, am_payload(am_alert(f"A{i}", severity="info"), group_key=f"g{i}"))
    deliver(integration, am_payload(am_alert("A0", severity="info", status="resolved"), group_key="g0"))
    page = service.records.list_alerts(session=session, actor=admin, filters=AlertFilter(limit=2))
    assert len(page.items) == 2 and page.next_cursor
    rest = service.records.list_alerts(
        session=session, actor=admin, filters=AlertFilter(limit=2, cursor=page.next_cursor)
    )
    assert len(rest.items) == 1
    firing = service.records.list_alerts(session=session, actor=admin, filters=AlertFilter(status="firing"))
    assert sorted(a.fingerprint[:5] for a in firing.items) == ["fp-A1", "fp-A2"]
