"""The configurable category list: add, retire, restore; only admins; used by create and update."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.dbutil import fresh_database
from tests.factories.auth import actor, make_user
from tests.factories.incidents import make_incident
from vigil.auth.roles import Role
from vigil.cli import app as cli_app
from vigil.core.actor import Actor
from vigil.core.errors import Conflict, Forbidden, Invalid, NotFound
from vigil.incidents import service
from vigil.incidents.schemas import IncidentUpdate


def test_add_disable_enable(session: Session, admin: Actor) -> None:
    service.categories.add(session=session, actor=admin, name="GPU Cluster")
    assert service.categories.names(session)[-1] == "GPU Cluster"
    inc = make_incident(session, admin, category="GPU Cluster")
    with pytest.raises(Conflict):
        service.categories.add(session=session, actor=admin, name="GPU Cluster")
    service.categories.set_active(session=session, actor=admin, name="GPU Cluster", active=False)
    assert "GPU Cluster" not in service.categories.names(session)
    with pytest.raises(Invalid, match="unknown category 'GPU Cluster'"):
        make_incident(session, admin, category="GPU Cluster")
    assert service.get(session=session, actor=admin, ref=inc.id).category == "GPU Cluster"  # history is kept
    with pytest.raises(Invalid):
        service.update(session=session, actor=admin, ref=inc.id, data=IncidentUpdate(category="GPU Cluster"))
    service.categories.set_active(session=session, actor=admin, name="GPU Cluster", active=True)
    make_incident(session, admin, category="GPU Cluster")
    with pytest.raises(NotFound):
        service.categories.set_active(session=session, actor=admin, name="Nope", active=True)


def test_only_admins_manage_categories(session: Session, admin: Actor) -> None:
    for role in (Role.AGENT, Role.MANAGER, Role.REQUESTER):
        someone = actor(session, make_user(session, admin, role))
        with pytest.raises(Forbidden):
            service.categories.add(session=session, actor=someone, name=f"by {role}")


@pytest.fixture
def client(api_client: TestClient) -> TestClient:
    return api_client


def test_category_api(client: TestClient) -> None:
    assert [c["name"] for c in client.get("/api/v1/incident-categories").json()["items"]][:2] == [
        "AI Services",
        "Database",
    ]
    assert client.post("/api/v1/incident-categories", json={"name": "Storage"}).status_code == 201
    assert client.post("/api/v1/incident-categories", json={"name": "Storage"}).status_code == 409
    r = client.patch("/api/v1/incident-categories/Storage", json={"active": False})
    assert r.status_code == 200 and r.json()["active"] is False
    assert client.post("/api/v1/incidents", json={"title": "disk", "category": "Storage"}).status_code == 422
    assert client.patch("/api/v1/incident-categories/Nope", json={"active": True}).status_code == 404


def test_category_cli(tmp_path: Path) -> None:
    runner = CliRunner()
    with fresh_database("sqlite", tmp_path) as url:
        db = ["--database-url", url]
        runner.invoke(cli_app, ["db", "upgrade", *db])
        assert runner.invoke(cli_app, ["incident", "category", "add", "Network", *db]).exit_code == 0
        assert runner.invoke(cli_app, ["incident", "category", "disable", "Billing", *db]).exit_code == 0
        out = runner.invoke(cli_app, ["incident", "category", "list", "--json", *db]).output
        rows = {r["name"]: r["active"] for r in json.loads(out)}
        assert rows["Network"] is True and rows["Billing"] is False
        failed = runner.invoke(cli_app, ["incident", "category", "add", "Network", *db])
        assert failed.exit_code == 1 and "already exists" in failed.output
