"""The domain registry: one declaration wires a domain's routers, commands, jobs and event subscribers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.core import registry_fixture
from tests.factories.incidents import make_incident
from vigil import domains
from vigil.app import create_app
from vigil.core import events, registry
from vigil.core.actor import Actor
from vigil.core.db import Database
from vigil.core.jobs import worker


@pytest.fixture
def probe_domain() -> Iterator[registry.Domain]:
    domain = registry.register(registry_fixture.DOMAIN)
    registry_fixture.SEEN.clear()
    try:
        yield domain
    finally:
        registry.unregister(domain.name)
        events.unsubscribe_all("probe.on_incident_created")


def test_every_installed_domain_is_registered() -> None:
    names = [d.name for d in domains.register()]
    assert names[:7] == ["core", "auth", "cmdb", "sla", "incidents", "auditlog", "notifications"]


def test_a_registered_domain_is_served_without_touching_the_app(
    db: Database, probe_domain: registry.Domain
) -> None:
    with TestClient(create_app(db)) as client:
        assert client.get("/api/v1/registry-probe").json() == {"domain": "probe"}


def test_an_event_reaches_its_subscriber_through_a_durable_job(
    db: Database, session: Session, admin: Actor, probe_domain: registry.Domain
) -> None:
    registry.load_jobs()
    incident = make_incident(session, admin, title="Subscribed")
    assert registry_fixture.SEEN == []  # delivered by the worker, after the writer commits
    worker.run_pending(db)
    assert [(p["event"], p["number"]) for p in registry_fixture.SEEN] == [
        ("IncidentCreated", incident.number)
    ]
    worker.run_pending(db)
    assert len(registry_fixture.SEEN) == 1  # exactly once
