"""Who may call what: every operation of the OpenAPI schema, per role, token scope and incident visibility.

Operations come from the schema (tests/access/openapi.py), so a new endpoint is covered without anyone
remembering. The expected tables below are written out by hand, not computed from the code under test.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.access import openapi
from tests.access.openapi import OPERATIONS, PROTECTED, Operation, Targets
from tests.conftest import Clock
from tests.factories.alerts import am_alert, am_payload, make_integration
from tests.factories.alerts import body as alert_body
from tests.factories.auth import actor, api_token, make_team, make_user
from tests.factories.incidents import make_incident
from vigil.alerts import payloads
from vigil.alerts import service as alerts_service
from vigil.alerts.schemas import AlertFilter
from vigil.app import create_app
from vigil.auth import service as auth_service
from vigil.auth.models import User
from vigil.auth.roles import Role
from vigil.auth.schemas import TokenCreate, UserUpdate
from vigil.cmdb import service as cmdb_service
from vigil.cmdb.schemas import CICreate
from vigil.core.actor import Actor
from vigil.core.db import Database
from vigil.incidents import service
from vigil.incidents.models import Incident
from vigil.incidents.schemas import EscalationLevelSet, IncidentResolve
from vigil.web.problems import REQUEST_VALIDATION

PROBLEM = "application/problem+json"
ROLES = ("requester", "agent_in_team", "agent_not_in_team", "manager", "admin")


@dataclass
class World:
    """Two requesters, an agent in the Service Desk team, one in another team, a manager, an admin."""

    app: FastAPI
    session: Session
    users: dict[str, User]
    incidents: dict[str, Incident]
    stack: ExitStack
    #: A relationship of the core-switch CI.
    relationship: str = ""
    #: A stored alert of the prod-am integration, and the delivery that brought it.
    alert: str = ""
    delivery: str = ""

    def client(self, who: str | None, scope: str | None = None) -> TestClient:
        """A client of its own per caller; an admin's token has the admin scope unless told otherwise."""
        client = self.stack.enter_context(TestClient(self.app))
        if who is not None:
            scope = scope or ("admin" if who == "admin" else "write")
            client.headers["Authorization"] = f"Bearer {api_token(self.session, self.users[who].id, scope)}"
        return client

    def targets(self, incident: str = "own") -> Targets:
        return Targets(
            incident=self.incidents[incident].number,
            user=str(self.users["other_requester"].id),
            category="Database",
            token_id=str(uuid.uuid4()),
            relationship=self.relationship,
            alert=self.alert,
            delivery=self.delivery,
        )


@pytest.fixture
def world(db: Database, session: Session, admin: Actor) -> Iterator[World]:
    switch = cmdb_service.create(session=session, actor=admin, data=CICreate(name="core-switch"))
    router = cmdb_service.create(
        session=session, actor=admin, data=CICreate(name="core-router", ci_class="host")
    )
    relationship = str(cmdb_service.add(session, admin, switch, "depends_on", router).id)
    users = {
        "requester": make_user(session, admin, Role.REQUESTER),
        "other_requester": make_user(session, admin, Role.REQUESTER),
        "agent_in_team": make_user(session, admin, Role.AGENT),
        "agent_not_in_team": make_user(session, admin, Role.AGENT),
        "manager": make_user(session, admin, Role.MANAGER),
        "admin": auth_service.resolve_user(session, "admin@vigil.example"),
    }
    make_team(session, admin, users["agent_in_team"], name="Service Desk")
    make_team(session, admin, users["agent_not_in_team"], name="Network")
    service.escalation.set_level(
        session=session,
        actor=admin,
        level=1,
        data=EscalationLevelSet(name="L1 Service Desk", team="Service Desk"),
    )
    incidents = {
        # Untriaged (no group): the requester's own, and in every agent's untriaged queue.
        "own": make_incident(session, actor(session, users["requester"]), title="Printer on floor 3 jams"),
        "other": make_incident(session, actor(session, users["other_requester"]), title="VPN drops hourly"),
        "team": make_incident(
            session,
            admin,
            title="Payroll export fails",
            requester=users["other_requester"].email,
            assignment_group="Service Desk",
        ),
    }
    alert, delivery = _stored_alert(session, admin)
    with ExitStack() as stack:
        yield World(create_app(db), session, users, incidents, stack, relationship, alert, delivery)


def _stored_alert(session: Session, admin: Actor) -> tuple[str, str]:
    """The prod-am integration with one stored (warning: P3, no incident) alert; its id and delivery's."""
    integration, _ = make_integration(session, admin, name="prod-am")
    raw = alert_body(am_payload(am_alert("DiskFilling", severity="warning")))
    delivery, _ = alerts_service.intake.receive(
        session, integration, raw, payloads.parse("alertmanager", raw)
    )
    alert = alerts_service.records.list_alerts(session=session, actor=admin, filters=AlertFilter()).items[0]
    return str(alert.id), str(delivery.id)


def send(client: TestClient, op: Operation, targets: Targets) -> Any:
    url = openapi.url(op, targets)
    return client.request(
        op.method, url, params=openapi.query(op), json=openapi.body(op), files=openapi.files(op)
    )


def is_problem(r: Any) -> bool:
    return bool(r.headers["content-type"] == PROBLEM)


# (a) Authentication ------------------------------------------------------------------------------------

NOWHERE = Targets(incident="INC-000001", user=str(uuid.uuid4()), category="Other", token_id=str(uuid.uuid4()))


def test_the_schema_lists_the_operations_we_know() -> None:
    names = {str(op) for op in OPERATIONS}
    assert {"GET /api/v1/incidents", "POST /api/v1/incidents/{ref}/resolve", "POST /api/v1/users"} <= names
    assert all(op.body_schema is None or openapi.body(op) is not None for op in OPERATIONS)


@pytest.mark.parametrize("op", PROTECTED, ids=str)
def test_every_operation_needs_a_token(db: Database, op: Operation) -> None:
    with TestClient(create_app(db)) as client:
        r = send(client, op, NOWHERE)
    assert r.status_code == 401, r.text
    assert is_problem(r) and r.headers["www-authenticate"].startswith("Bearer")


def test_health_schema_and_docs_are_public(db: Database) -> None:
    with TestClient(create_app(db)) as client:
        for path in ("/api/v1/health", "/api/v1/health/ready", "/openapi.json", "/docs"):
            assert client.get(path).status_code == 200, path


def _bad_credential(session: Session, admin: Actor, clock: Clock, kind: str) -> str:
    if kind == "wrong_scheme":
        return f"Basic {api_token(session, admin.user_id, 'admin')}"
    if kind == "unknown":
        return "Bearer vgl_" + uuid.uuid4().hex
    user = make_user(session, admin, Role.AGENT)
    data = TokenCreate(name="doomed", scope="write", expires_in_days=1)
    token, raw = auth_service.tokens.create(session=session, actor=actor(session, user), data=data)
    if kind == "revoked":
        auth_service.tokens.revoke(session=session, actor=admin, token_id=token.id)
    elif kind == "expired":
        clock.advance(days=2)
    elif kind == "inactive_user":
        auth_service.update_user(session=session, actor=admin, ref=user.email, data=UserUpdate(active=False))
    return f"Bearer {raw}"


@pytest.mark.parametrize("kind", ["wrong_scheme", "unknown", "revoked", "expired", "inactive_user"])
def test_bad_credentials_are_401_everywhere(
    db: Database, session: Session, admin: Actor, frozen_clock: Clock, kind: str
) -> None:
    header = _bad_credential(session, admin, frozen_clock, kind)
    with TestClient(create_app(db), headers={"Authorization": header}) as client:
        wrong = {
            str(op): r.status_code for op in PROTECTED if (r := send(client, op, NOWHERE)).status_code != 401
        }
    assert wrong == {}


def test_generated_requests_pass_validation(world: World) -> None:
    """Run every operation as an administrator: the generated bodies pass validation and nothing is a 5xx."""
    client = world.client("admin")
    for op in OPERATIONS:
        r = send(client, op, world.targets("own"))
        assert r.status_code < 500, f"{op}: {r.text}"
        assert not (r.status_code == 422 and r.json()["type"] == REQUEST_VALIDATION), (
            f"{op}: the generated body is invalid: {r.text}"
        )


# (b) Invisible incidents are 404 everywhere --------------------------------------------------------------

INCIDENT_OPS = [op for op in OPERATIONS if op.path.startswith("/api/v1/incidents/{ref}")]


@pytest.mark.parametrize("op", INCIDENT_OPS, ids=str)
@pytest.mark.parametrize(
    ("who", "target"), [("requester", "other"), ("requester", "team"), ("agent_not_in_team", "team")]
)
def test_invisible_incident_is_404(world: World, who: str, target: str, op: Operation) -> None:
    r = send(world.client(who), op, world.targets(target))
    assert r.status_code == 404 and is_problem(r), r.text
    assert world.incidents[target].title not in r.text


def _numbers(client: TestClient, params: dict[str, Any]) -> set[str]:
    """Every incident number of a listing, following the cursor through all pages."""
    found: set[str] = set()
    params = {**params, "limit": 1}
    while True:
        r = client.get("/api/v1/incidents", params=params)
        assert r.status_code == 200, r.text
        found |= {i["number"] for i in r.json()["items"]}
        if not r.json()["next_cursor"]:
            return found
        params["cursor"] = r.json()["next_cursor"]


def test_lists_and_searches_show_a_requester_only_their_own(world: World) -> None:
    client = world.client("requester")
    own, other, team = (world.incidents[k] for k in ("own", "other", "team"))
    assert client.get(f"/api/v1/incidents/{own.number}").status_code == 200
    assert _numbers(client, {}) == {own.number}
    every_status = ["open", "in_progress", "on_hold", "resolved", "closed", "cancelled"]
    for params in (
        {"q": other.title},
        {"q": other.number},
        {"q": team.title},
        {"status": "open"},
        {"status": every_status},
        {"assigned_to": "none"},
        {"assignment_group": "none"},
        {"assignment_group": "Service Desk"},
        {"sort": "priority"},
    ):
        assert _numbers(client, params) <= {own.number}, params
    assert _numbers(client, {"q": own.title, "status": "open"}) == {own.number}


# (c) Role x action on the requester's own incident and on a team's incident ------------------------------

ACTIONS = (
    "acknowledge", "hold", "resume", "resolve", "close", "reopen", "cancel",
    "comment", "work_note", "patch_title", "patch_priority", "patch_assigned_to",
)  # fmt: skip
#: target -> role -> expected status per action, in the order of ACTIONS. Each action is tried from a state
#: it is allowed in (REQUESTS), so an allowed action succeeds; test_state_conflicts covers the 409s.
EXPECTED = {
    "own": {  # untriaged: visible to the requester (theirs) and to every agent
        #                     ack  hold resu reso clos reop canc comm note titl prio asgn
        "requester":         (403, 403, 403, 403, 200, 200, 200, 201, 403, 403, 403, 403),
        "agent_in_team":     (200, 200, 200, 200, 200, 200, 200, 201, 201, 200, 200, 200),
        "agent_not_in_team": (200, 200, 200, 200, 200, 200, 200, 201, 201, 200, 200, 200),
        "manager":           (200, 200, 200, 200, 200, 200, 200, 201, 201, 200, 200, 200),
        "admin":             (200, 200, 200, 200, 200, 200, 200, 201, 201, 200, 200, 200),
    },
    "team": {  # another requester's, in the Service Desk queue
        "requester":         (404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404),
        "agent_in_team":     (200, 200, 200, 200, 200, 200, 200, 201, 201, 200, 200, 200),
        "agent_not_in_team": (404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404),
        "manager":           (200, 200, 200, 200, 200, 200, 200, 201, 201, 200, 200, 200),
        "admin":             (200, 200, 200, 200, 200, 200, 200, 201, 201, 200, 200, 200),
    },
}  # fmt: skip
#: action -> (state it is tried from, method, path under the incident, body)
REQUESTS: dict[str, tuple[str, str, str, dict[str, Any]]] = {
    "acknowledge": ("open", "POST", "/acknowledge", {}),
    "hold": ("in_progress", "POST", "/hold", {"note": "Waiting for the vendor"}),
    "resume": ("on_hold", "POST", "/resume", {}),
    "resolve": ("in_progress", "POST", "/resolve", {"resolution_notes": "Replaced the fuser"}),
    "close": ("resolved", "POST", "/close", {}),
    "reopen": ("resolved", "POST", "/reopen", {"reason": "It jams again"}),
    "cancel": ("open", "POST", "/cancel", {}),
    "comment": ("open", "POST", "/comments", {"body": "Any news?"}),
    "work_note": ("open", "POST", "/comments", {"body": "Spooler restarted", "internal": True}),
    "patch_title": ("open", "PATCH", "", {"title": "Printer on floor 3 jams on A3"}),
    "patch_priority": ("open", "PATCH", "", {"priority": "P2", "priority_reason": "The board prints here"}),
    "patch_assigned_to": ("open", "PATCH", "", {"assigned_to": "agent_in_team"}),
}


def move(session: Session, admin: Actor, number: str, state: str) -> None:
    """Bring an open incident to `state` through the service, as the administrator."""
    kw: dict[str, Any] = {"session": session, "actor": admin, "ref": number}
    if state in ("in_progress", "on_hold"):
        service.acknowledge(**kw)
    if state == "on_hold":
        service.hold(**kw)
    if state in ("resolved", "closed"):
        service.resolve(**kw, data=IncidentResolve(resolution_notes="Fixed"))
    if state == "closed":
        service.close(**kw)
    if state == "cancelled":
        service.cancel(**kw)


def attempt(world: World, role: str, target: str, action: str) -> Any:
    """Try `action` as `role`; a refusal must leave the incident and its timeline as they were."""
    _, method, suffix, payload = REQUESTS[action]
    if "assigned_to" in payload:
        payload = {"assigned_to": world.users[payload["assigned_to"]].email}
    number = world.incidents[target].number
    watcher = world.client("admin")

    def seen() -> tuple[Any, Any]:
        record = watcher.get(f"/api/v1/incidents/{number}").json()
        record.pop("sla")  # its clocks' elapsed and remaining time move with the wall clock
        return (record, watcher.get(f"/api/v1/incidents/{number}/timeline").json()["items"])

    before = seen()
    r = world.client(role).request(method, f"/api/v1/incidents/{number}{suffix}", json=payload)
    if r.status_code >= 400:
        assert is_problem(r), r.text
        assert seen() == before, f"a refused {action} changed {number}"
    return r


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("target", ["own", "team"])
def test_role_action_matrix(
    world: World, session: Session, admin: Actor, target: str, role: str, action: str
) -> None:
    move(session, admin, world.incidents[target].number, REQUESTS[action][0])
    r = attempt(world, role, target, action)
    assert r.status_code == EXPECTED[target][role][ACTIONS.index(action)], r.text


@pytest.mark.parametrize(
    ("role", "state", "action", "expected"),
    [
        ("requester", "open", "close", 409),
        ("requester", "open", "reopen", 409),
        ("requester", "in_progress", "cancel", 200),
        ("requester", "cancelled", "comment", 409),
        ("requester", "resolved", "acknowledge", 403),  # a refused right wins over the state
        ("requester", "closed", "patch_title", 403),
        ("agent_in_team", "open", "hold", 409),
        ("agent_in_team", "open", "resume", 409),
        ("agent_in_team", "resolved", "cancel", 409),
        ("agent_in_team", "cancelled", "work_note", 409),
        ("agent_in_team", "closed", "patch_title", 409),
        ("manager", "closed", "reopen", 409),
    ],
)
def test_state_conflicts(
    world: World, session: Session, admin: Actor, role: str, state: str, action: str, expected: int
) -> None:
    move(session, admin, world.incidents["own"].number, state)
    assert attempt(world, role, "own", action).status_code == expected


# (d) Work notes -------------------------------------------------------------------------------------------


def test_a_requester_never_sees_work_notes(world: World) -> None:
    number = world.incidents["own"].number
    agent = world.client("agent_in_team")
    assert (
        agent.post(f"/api/v1/incidents/{number}/comments", json={"body": "We are on it"}).status_code == 201
    )
    note = {"body": "Suspect the toner vendor firmware", "internal": True}
    assert agent.post(f"/api/v1/incidents/{number}/comments", json=note).status_code == 201

    r = world.client("requester").get(f"/api/v1/incidents/{number}/timeline")
    assert r.status_code == 200
    assert [e["body"] for e in r.json()["items"] if e["kind"] == "comment"] == ["We are on it"]
    assert "work_note" not in {e["kind"] for e in r.json()["items"]} and "toner vendor" not in r.text
    staff = agent.get(f"/api/v1/incidents/{number}/timeline").json()["items"]
    assert [e["body"] for e in staff if e["kind"] == "work_note"] == [note["body"]]


# (e) Every operation classified ---------------------------------------------------------------------------

#: Who may call each operation. A new operation that is not classified here fails the suite, so nobody
#: adds an endpoint without deciding (and testing) who may use it.
#:   public          no token needed
#:   anyone          any signed-in user, on their own things (the service scopes the answer)
#:   staff           agents, managers, administrators; a requester gets 403
#:   admin           administrators with an admin-scope token; everyone else 403
#:   incident        governed by the incident's visibility and the role x action table (sections b, c)
#:   self_or_staff   a requester reaches only their own record: another's is 404
#:   member_or_staff a requester reaches only their own teams: another is 404
#:   self_or_admin   a non-administrator may act only on their own account: another's is 403
#:   owner_or_admin  a non-administrator reaches only their own token: another's is 404
#:   admin_config    administrators change it (a 409 or 422 for the generated body is fine); others 403
#:   own             only the owner reaches it, administrators included (an inbox is personal): 404
#:   integration     a monitoring system's webhook: the integration's own token or HMAC signature, never
#:                   a user's token (a 401 for every user; tests/alerts/test_api.py covers it)
ACCESS: dict[tuple[str, str], str] = {
    ("GET", "/api/v1/health"): "public",
    ("GET", "/api/v1/health/ready"): "public",
    ("GET", "/api/v1/me"): "anyone",
    ("POST", "/api/v1/me/password"): "anyone",
    ("GET", "/api/v1/users"): "anyone",
    ("POST", "/api/v1/users"): "admin",
    ("GET", "/api/v1/users/{ref}"): "self_or_staff",
    ("PATCH", "/api/v1/users/{ref}"): "admin",
    ("POST", "/api/v1/users/{ref}/password"): "self_or_admin",
    ("GET", "/api/v1/teams"): "anyone",
    ("POST", "/api/v1/teams"): "admin",
    ("GET", "/api/v1/teams/{ref}"): "member_or_staff",
    ("PATCH", "/api/v1/teams/{ref}"): "admin",
    ("GET", "/api/v1/tokens"): "anyone",
    ("POST", "/api/v1/tokens"): "anyone",
    ("DELETE", "/api/v1/tokens/{token_id}"): "owner_or_admin",
    # The CMDB: everyone reads what the CMDB policy shows them (requesters: the live services they pick);
    # administrators and CMDB managers write (tests/cmdb/test_policy.py covers the CMDB manager).
    ("GET", "/api/v1/cis"): "anyone",
    ("POST", "/api/v1/cis"): "admin_config",
    ("POST", "/api/v1/cis/import"): "admin_config",
    ("POST", "/api/v1/cis/import-netbox"): "admin_config",
    ("GET", "/api/v1/cis/{ref}"): "anyone",
    ("PATCH", "/api/v1/cis/{ref}"): "admin_config",
    ("GET", "/api/v1/cis/{ref}/relationships"): "anyone",
    ("POST", "/api/v1/cis/{ref}/relationships"): "admin_config",
    ("DELETE", "/api/v1/cis/{ref}/relationships/{relationship_id}"): "admin_config",
    ("GET", "/api/v1/cis/{ref}/impact"): "anyone",
    ("GET", "/api/v1/cis/{ref}/history"): "staff",
    ("GET", "/api/v1/cis/{ref}/open-work"): "anyone",
    ("GET", "/api/v1/ci-classes"): "anyone",
    ("POST", "/api/v1/ci-classes"): "admin_config",
    ("GET", "/api/v1/ci-classes/{key}"): "anyone",
    ("PATCH", "/api/v1/ci-classes/{key}"): "admin_config",
    ("GET", "/api/v1/incidents"): "anyone",
    ("POST", "/api/v1/incidents"): "anyone",
    ("GET", "/api/v1/incident-categories"): "anyone",
    ("POST", "/api/v1/incident-categories"): "admin",
    ("GET", "/api/v1/incident-categories/{name}"): "anyone",
    ("PATCH", "/api/v1/incident-categories/{name}"): "admin",
    ("GET", "/api/v1/incident-escalation-levels"): "staff",
    ("PUT", "/api/v1/incident-escalation-levels/{level}"): "admin",
    ("DELETE", "/api/v1/incident-escalation-levels/{level}"): "admin",
    ("GET", "/api/v1/audit"): "admin",
    ("GET", "/api/v1/audit/export.csv"): "admin",
    ("GET", "/api/v1/audit/verify"): "admin",
    ("GET", "/api/v1/audit/anchor"): "admin",
    # SLA calendars and policies: staff read them, administrators change them (any token scope but read).
    ("GET", "/api/v1/sla/calendars"): "staff",
    ("POST", "/api/v1/sla/calendars"): "admin_config",
    ("GET", "/api/v1/sla/calendars/{name}"): "staff",
    ("PATCH", "/api/v1/sla/calendars/{name}"): "admin_config",
    ("DELETE", "/api/v1/sla/calendars/{name}"): "admin_config",
    ("GET", "/api/v1/sla/calendars/{name}/week"): "staff",
    ("GET", "/api/v1/sla/policies"): "staff",
    ("POST", "/api/v1/sla/policies"): "admin_config",
    ("GET", "/api/v1/sla/policies/{name}"): "staff",
    ("PATCH", "/api/v1/sla/policies/{name}"): "admin_config",
    ("DELETE", "/api/v1/sla/policies/{name}"): "admin_config",
    # Each item is checked like the single action (visibility, role, state) and reported in a 200.
    ("POST", "/api/v1/incidents/bulk"): "anyone",
    # Each caller's own inbox: the service scopes every read and write to the caller's rows.
    ("GET", "/api/v1/notifications"): "anyone",
    ("GET", "/api/v1/notifications/unread-count"): "anyone",
    ("POST", "/api/v1/notifications/read-all"): "anyone",
    ("POST", "/api/v1/notifications/{notification_id}/read"): "own",
    # The SLA compliance report: staff only; counts only the incidents the caller may see.
    ("GET", "/api/v1/incidents/sla-report"): "staff",
    # Alert intake (tests/alerts): integrations are administrators' configuration; staff read and promote
    # alerts; failed deliveries are administrators'; the webhooks take only an integration's credential.
    ("GET", "/api/v1/integrations"): "admin_config",
    ("POST", "/api/v1/integrations"): "admin_config",
    ("GET", "/api/v1/integrations/{name}"): "admin_config",
    ("PATCH", "/api/v1/integrations/{name}"): "admin_config",
    ("POST", "/api/v1/integrations/{name}/rotate-token"): "admin_config",
    ("POST", "/api/v1/integrations/{name}/dry-run"): "admin_config",
    ("GET", "/api/v1/alerts"): "staff",
    ("GET", "/api/v1/alerts/{alert_id}"): "staff",
    ("POST", "/api/v1/alerts/{alert_id}/promote"): "staff",
    ("GET", "/api/v1/alert-deliveries"): "admin_config",
    ("POST", "/api/v1/alert-deliveries/{delivery_id}/retry"): "admin_config",
    ("POST", "/api/v1/integrations/alertmanager/{name}"): "integration",
    ("POST", "/api/v1/integrations/grafana/{name}"): "integration",
    ("POST", "/api/v1/integrations/generic/{name}"): "integration",
    **{(op.method, op.path): "incident" for op in INCIDENT_OPS},
}
INTEGRATION_OPS = {key for key, kind in ACCESS.items() if kind == "integration"}
ADMIN_ONLY = {key for key, kind in ACCESS.items() if kind == "admin"}
ADMIN_OPS = [op for op in OPERATIONS if (op.method, op.path) in ADMIN_ONLY]
#: kind -> roles refused, and with which status; every other role is allowed.
REFUSED: dict[str, tuple[frozenset[str], int]] = {
    "anyone": (frozenset(), 0),
    "staff": (frozenset({"requester"}), 403),
    "self_or_staff": (frozenset({"requester"}), 404),
    "member_or_staff": (frozenset({"requester"}), 404),
    "self_or_admin": (frozenset(ROLES) - {"admin"}, 403),
    "owner_or_admin": (frozenset(ROLES) - {"admin"}, 404),
    "admin_config": (frozenset(ROLES) - {"admin"}, 403),
    "own": (frozenset(ROLES), 404),
}


def test_every_operation_is_classified() -> None:
    assert set(ACCESS) == {(op.method, op.path) for op in OPERATIONS}, "classify new operations in ACCESS"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("op", [op for op in OPERATIONS if ACCESS[(op.method, op.path)] in REFUSED], ids=str)
def test_every_operation_as_every_role(world: World, session: Session, role: str, op: Operation) -> None:
    """Other users' records: refused with the class's status; allowed ones never 401/403/404 or 5xx."""
    kind = ACCESS[(op.method, op.path)]
    other = world.users["other_requester"]
    _, raw = auth_service.tokens.create(
        session=session, actor=actor(session, other), data=TokenCreate(name="theirs", scope="read")
    )
    token_id = str(auth_service.tokens.list_for(session=session, actor=actor(session, other))[0].id)
    targets = Targets(
        incident=world.incidents["own"].number,
        user=str(other.id),
        category="Database",
        token_id=token_id,
        relationship=world.relationship,
        alert=world.alert,
        delivery=world.delivery,
    )
    r = send(world.client(role), op, targets)
    refused, status = REFUSED[kind]
    if role in refused:
        assert r.status_code == status and is_problem(r), r.text
    else:
        assert r.status_code not in (401, 403, 404) and r.status_code < 500, r.text


@pytest.mark.parametrize("op", ADMIN_OPS, ids=str)
@pytest.mark.parametrize(
    ("who", "scope", "allowed"),
    [
        ("requester", "write", False),
        ("agent_in_team", "write", False),
        ("manager", "write", False),
        ("admin", "write", False),  # an admin's token without the admin scope acts as a manager
        ("admin", "admin", True),
    ],
)
def test_admin_only_operations(world: World, op: Operation, who: str, scope: str, allowed: bool) -> None:
    r = send(world.client(who, scope), op, world.targets())
    if allowed:
        assert r.status_code in (200, 201, 204), r.text
    elif who == "requester" and "{ref}" in op.path:
        # A record the requester cannot even see is a 404 before any right is checked.
        assert r.status_code in (403, 404) and is_problem(r), r.text
    else:
        assert r.status_code == 403 and is_problem(r), r.text


@pytest.mark.parametrize(
    "op", [op for op in PROTECTED if not op.safe and (op.method, op.path) not in INTEGRATION_OPS], ids=str
)
def test_a_read_scope_token_changes_nothing(world: World, op: Operation) -> None:
    client = world.client("admin", "read")
    assert client.get("/api/v1/me").status_code == 200
    r = send(client, op, world.targets())
    assert r.status_code == 403 and is_problem(r), r.text


@pytest.mark.parametrize("op", [op for op in OPERATIONS if (op.method, op.path) in INTEGRATION_OPS], ids=str)
@pytest.mark.parametrize("role", ROLES)
def test_webhooks_refuse_every_user_token(world: World, role: str, op: Operation) -> None:
    """A user's token (any role, the admin scope too) is never an integration's credential."""
    r = send(world.client(role), op, world.targets())
    assert r.status_code == 401 and is_problem(r), r.text
