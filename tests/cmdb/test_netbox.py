"""NetBox import against a local HTTP stand-in serving NetBox's JSON shapes and pagination."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.cmdb.netbox_standin import dataset, serve
from tests.factories.auth import actor, api_token, make_user
from vigil.app import create_app
from vigil.auth.roles import Role
from vigil.cmdb import netbox
from vigil.cmdb import service as cmdb
from vigil.cmdb.models import CIClass, CIRelationship, ConfigurationItem
from vigil.cmdb.netbox import NetBoxClient
from vigil.core.actor import Actor
from vigil.core.db import Database
from vigil.core.errors import BadGateway, Forbidden, Invalid, Unavailable


def _import(session: Session, admin: Actor, url: str, token: str, **kw: Any) -> Any:
    client = NetBoxClient(
        url, token, timeout=kw.pop("timeout", 5.0), attempts=1, page_size=kw.pop("page_size", 3)
    )
    return netbox.import_netbox(session=session, actor=admin, client=client, **kw)


def _count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(ConfigurationItem)) or 0)


def _ci(session: Session, ext: str) -> ConfigurationItem:
    return session.scalars(
        select(ConfigurationItem).where(ConfigurationItem.external_ids.any(source="netbox", external_id=ext))
    ).one()


def test_full_import(session: Session, admin: Actor) -> None:
    data = dataset(devices=12, sites=2, racks=2, vms=2, cables=3)
    with serve(data) as nb:
        report = _import(session, admin, nb.url, nb.token)
    assert report.applied and not report.errors
    # 2 sites, 2 racks, 12 devices, 1 cluster, 2 VMs, 2 services
    assert report.counts.created == 21
    assert set(report.classes_created) == {"site", "rack", "cluster", "network_service"}
    assert session.get(CIClass, "rack") is not None
    # pages of 3 followed through `next`: 12 devices are 4 pages
    assert sum(1 for r in nb.requests if r.startswith("/api/dcim/devices/")) == 4
    dev1 = _ci(session, "dcim.device:1")
    assert dev1.ci_class == "host" and dev1.name == "dev-00001"
    assert (
        dev1.attributes["ip_addresses"] == ["10.0.0.2/24"] and dev1.attributes["primary_ip"] == "10.0.0.2/24"
    )
    assert dev1.attributes["role"] == "Server" and dev1.attributes["platform"] == "Ubuntu 24.04"
    assert dev1.tags == ["prod"]
    assert _ci(session, "dcim.device:2").ci_class == "network_device"  # role "Core switch"
    kinds = {(r.source.name, r.kind, r.target.name) for r in session.scalars(select(CIRelationship))}
    assert ("dev-00001", "part_of", "DC1 / R1") in kinds
    assert ("DC1 / R1", "part_of", "DC1") in kinds
    assert ("vm-00001", "hosted_on", "cluster-1") in kinds
    assert ("vm-00001", "hosted_on", "dev-00001") in kinds
    assert ("ssh on dev-00001", "runs_on", "dev-00001") in kinds
    assert ("dev-00001", "connects_to", "dev-00002") in kinds
    assert ("dev-00003", "connects_to", "dev-00004") in kinds
    assert cmdb.history(session=session, actor=admin, ref=str(dev1.id))  # written through the service


def test_rerun_updates_in_place_and_retires_what_is_gone(session: Session, admin: Actor) -> None:
    data = dataset(devices=6, vms=1, cables=2)
    with serve(data) as nb:
        _import(session, admin, nb.url, nb.token)
        before = _count(session)
        rels = session.scalar(select(func.count()).select_from(CIRelationship))
        data["dcim.device"][0]["serial"] = "CHANGED"
        data["dcim.device"][0]["role"] = {"id": 3, "name": "Server", "slug": "server"}
        del data["dcim.device"][5]
        dry = _import(session, admin, nb.url, nb.token, dry_run=True)
        assert dry.counts.changed == 1 and dry.counts.retired == 1 and not dry.applied
        assert _ci(session, "dcim.device:1").attributes["serial"] == "SN000001"
        again = _import(session, admin, nb.url, nb.token)
    assert _count(session) == before
    assert session.scalar(select(func.count()).select_from(CIRelationship)) == rels
    assert again.counts.changed == 1 and again.counts.created == 0
    assert again.changed[0].changes[0].field == "attributes.serial"
    assert again.changed[0].changes[0].old == "SN000001" and again.changed[0].changes[0].new == "CHANGED"
    assert [r.name for r in again.retired] == ["dev-00006"]
    assert _ci(session, "dcim.device:6").status == "retired"
    assert _ci(session, "dcim.device:1").attributes["serial"] == "CHANGED"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unreachable_netbox(session: Session, admin: Actor) -> None:
    with pytest.raises(Unavailable, match="cannot reach NetBox"):
        _import(session, admin, f"http://127.0.0.1:{_free_port()}", "x")
    assert _count(session) == 0


def test_bad_token(session: Session, admin: Actor) -> None:
    with serve(dataset()) as nb, pytest.raises(Invalid, match="Invalid token") as caught:
        _import(session, admin, nb.url, "wrong")
    assert caught.value.errors[0]["field"] == "token"
    assert _count(session) == 0


@pytest.mark.parametrize(
    ("fail", "message"), [("malformed", "not JSON"), ("shape", "without count"), ("500", "HTTP 500")]
)
def test_bad_pages(session: Session, admin: Actor, fail: str, message: str) -> None:
    # The failure comes on the last endpoint read: everything before it was fetched, nothing written.
    with (
        serve(dataset(), fail=fail, fail_path="/api/dcim/cables/") as nb,
        pytest.raises(BadGateway, match=message),
    ):
        _import(session, admin, nb.url, nb.token)
    assert _count(session) == 0 and session.get(CIClass, "rack") is None


def test_timeout(session: Session, admin: Actor) -> None:
    with (
        serve(dataset(), fail="timeout", fail_path="/api/dcim/devices/") as nb,
        pytest.raises(Unavailable, match="did not answer within 0.2 s"),
    ):
        _import(session, admin, nb.url, nb.token, timeout=0.2)
    assert _count(session) == 0


def test_not_a_url(session: Session, admin: Actor) -> None:
    with pytest.raises(Invalid, match="not a NetBox URL"):
        _import(session, admin, "netbox.example", "x")


def test_an_agent_may_not(session: Session, admin: Actor) -> None:
    agent = actor(session, make_user(session, admin, Role.AGENT))
    with serve(dataset()) as nb:
        with pytest.raises(Forbidden):
            _import(session, agent, nb.url, nb.token)
        assert nb.requests == []  # refused before NetBox is asked anything


def test_api_action(db: Database, session: Session, admin: Actor) -> None:
    agent = make_user(session, admin, Role.AGENT)
    with serve(dataset(devices=3, vms=0, cables=1)) as nb, TestClient(create_app(db)) as client:
        body = {"url": nb.url, "token": nb.token, "dry_run": False}
        r = client.post(
            "/api/v1/cis/import-netbox",
            json=body,
            headers={"Authorization": f"Bearer {api_token(session, agent.id)}"},
        )
        assert r.status_code == 403, r.text
        r = client.post(
            "/api/v1/cis/import-netbox",
            json=body,
            headers={"Authorization": f"Bearer {api_token(session, admin.user_id, 'admin')}"},
        )
        assert r.status_code == 200, r.text
        assert r.json()["counts"]["created"] == 2 + 2 + 3 + 1
        r = client.post(
            "/api/v1/cis/import-netbox",
            json={**body, "token": "nope"},
            headers={"Authorization": f"Bearer {api_token(session, admin.user_id, 'admin')}"},
        )
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "token", r.text
