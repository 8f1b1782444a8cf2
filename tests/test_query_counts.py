"""No N+1 anywhere: every list and detail endpoint of the API, and every page, issues the same number of
queries whether the data holds a few or many distinct requesters, assignees, teams, CIs and parents; and
each stays within a small budget.

The endpoints are read from the OpenAPI schema, so a new GET operation is covered as soon as it exists.
"""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import event
from sqlalchemy.orm import Session

from tests.access import openapi
from tests.dbutil import BACKENDS, fresh_database
from tests.factories.alerts import am_alert, am_payload, make_integration
from tests.factories.alerts import body as alert_body
from tests.factories.auth import WebClient, actor, api_token, login_as, make_team, make_user
from tests.factories.incidents import make_incident
from vigil import migrate
from vigil.alerts import payloads
from vigil.alerts import service as alerts_service
from vigil.alerts.schemas import AlertFilter
from vigil.app import create_app
from vigil.auth import service as auth_service
from vigil.auth.roles import Role
from vigil.cmdb import service as cmdb_service
from vigil.cmdb.schemas import CICreate
from vigil.core import attachments
from vigil.core.actor import Actor
from vigil.core.db import Database
from vigil.core.errors import NotFound
from vigil.core.related import LinkCreate
from vigil.core.schemas import ListQuery
from vigil.incidents import service
from vigil.incidents.schemas import CommentCreate, IncidentUpdate
from vigil.incidents.service import related

_n = itertools.count()

#: Reads of one page or one record may not cost more than this many statements (the incident page is the
#: richest: the incident, its timeline with people's names, watchers, links and their other ends,
#: attachments, form choices with the agents' teams for the assignee list, SLA clocks and history, the
#: services it impacts: 20), plus the notifications bell's one bounded COUNT on every signed-in page: 21.
BUDGET = 21
#: A CMDB walk (`reach.walk`: every CI within the depth, each once) costs one statement per step, bounded
#: by the depth (10) and never by the data: creating, indexing and emptying its temporary table, the
#: origins, then at most one INSERT per step. An impact answer makes one walk; a CI's page two (the impact
#: drawing, and the open work on what the CI relies on). An impact answer then reads what it lists from
#: the walk: the count per level, the nearest CIs, the services, their paths' CIs and the edges' kinds.
WALK = 4 + 10
ANSWER = 5


def _budget(url: str) -> int:
    if re.fullmatch(r"/cis/[0-9a-f-]{36}(\?direction=\w+)?", url):
        return BUDGET + 2 * WALK + ANSWER
    return BUDGET + WALK + ANSWER if url.endswith("/impact") else BUDGET


PAGES = (
    "/incidents",
    "/incidents/new",
    "/incidents/{incident}",
    "/account",
    "/admin/audit",
    "/admin/people",
    "/admin/sla",
    "/admin/sla/calendars/Business hours",
    "/admin/sla/policies/Action plan",
    "/notifications",
    "/cis",
    "/cis/new",
    "/cis/{ci}",
    "/cis/{ci}?direction=downstream",
    "/cis/{ci}/edit",
    "/cis/picker?q=ci",
    "/services",
    "/alerts",
    "/admin/alert-deliveries?status=processed",
)


@dataclass
class World:
    admin: Actor
    incident: str
    user: str
    team: str
    comment: str
    link: str
    attachment: str
    ci: str
    alert: str = ""
    delivery: str = ""


def _grow(session: Session, admin: Actor, size: int) -> str:
    """`size` incidents, each with its own requester, assignee, team, CI, parent, comment and work note."""
    number = ""
    for _ in range(size):
        i = next(_n)
        requester = make_user(session, admin, Role.REQUESTER)
        agent = make_user(session, admin, Role.AGENT)
        team = make_team(session, admin, agent, name=f"Queue {i}")
        ci = cmdb_service.create(session=session, actor=admin, data=CICreate(name=f"ci-{i}"))
        # Each service depends on the core switch: its CI page lists, draws and walks more with each.
        cmdb_service.add(
            session,
            admin,
            ci,
            "depends_on",
            cmdb_service.get(session=session, actor=admin, ref="core-switch"),
        )
        master = make_incident(session, admin, title=f"Master {i}")
        inc = make_incident(
            session,
            actor(session, requester),
            title=f"Outage {i}",
        )
        data = IncidentUpdate(
            assigned_to=agent.email, assignment_group=team.name, affected_cis=[ci.name], parent=master.number
        )
        service.update(session=session, actor=admin, ref=inc.id, data=data)
        for internal in (False, True):
            body = CommentCreate(body=f"note {i}", internal=internal)
            service.add_comment(session=session, actor=admin, ref=inc.id, data=body)
        number = inc.number
        _alert(session, admin, i)
    return number


def _alert(session: Session, admin: Actor, i: int) -> tuple[str, str]:
    """One more alert group of the prod-am integration, with its incident and affected CI; the ids of
    the alert and its delivery."""
    try:
        integration = alerts_service.integrations.load(session, "prod-am")
    except NotFound:
        integration = make_integration(session, admin, name="prod-am")[0]
    raw = alert_body(am_payload(am_alert(f"Down{i}", instance=f"ci-{i}"), group_key=f"g{i}"))
    delivery, _ = alerts_service.intake.receive(
        session, integration, raw, payloads.parse("alertmanager", raw)
    )
    alert = alerts_service.records.list_alerts(session=session, actor=admin, filters=AlertFilter(limit=1))
    return str(alert.items[0].id), str(delivery.id)


@pytest.fixture
def world(session: Session, admin: Actor) -> World:
    core = cmdb_service.create(
        session=session, actor=admin, data=CICreate(name="core-switch", ci_class="host")
    )
    number = _grow(session, admin, 2)
    user = make_user(session, admin, Role.AGENT)
    team = make_team(session, admin, user, name=f"Team {next(_n)}")
    comment = service.comments(session=session, actor=admin, ref=number, query=ListQuery()).items[0]
    # What hangs off the incident: a watcher (the agent), a link and an image attachment.
    related.watch(session=session, actor=admin, ref=number, user=user.email)
    other = make_incident(session, admin, title="Related outage")
    link = related.link(
        session=session, actor=admin, ref=number, data=LinkCreate(kind="related_to", target=other.number)
    )
    image = io.BytesIO()
    Image.new("RGB", (40, 30)).save(image, "PNG")
    image.seek(0)
    stored = attachments.store(image, "image/png")
    attached = related.attach(session=session, actor=admin, ref=number, filename="graph.png", stored=stored)
    alert, delivery = _alert(session, admin, next(_n))
    return World(
        admin,
        number,
        str(user.id),
        str(team.id),
        str(comment.id),
        str(link.id),
        str(attached.id),
        str(core.id),
        alert,
        delivery,
    )


def _api_reads() -> list[openapi.Operation]:
    return [op for op in openapi.OPERATIONS if op.method == "GET" and "health" not in op.path]


def _url(path: str, w: World) -> str:
    targets = openapi.Targets(
        incident=w.incident, user=w.user, category="Other", token_id=w.user, comment=w.comment,
        link=w.link, attachment=w.attachment, alert=w.alert, delivery=w.delivery,
    )  # fmt: skip
    url = openapi.url(openapi.Operation("GET", path, None), targets)
    return re.sub(r"/api/v1/teams/[^/]+$", f"/api/v1/teams/{w.team}", url)


@pytest.fixture
def measure(count_queries: Callable[[], list[str]]) -> Callable[[Callable[[], object]], int]:
    def run(call: Callable[[], object]) -> int:
        start = len(count_queries())
        call()
        return len(count_queries()) - start

    return run


@pytest.fixture
def clients(db: Database, session: Session, admin: Actor) -> Iterator[tuple[TestClient, WebClient]]:
    with TestClient(create_app(db)) as api, WebClient(create_app(db)) as web:
        api.headers["Authorization"] = f"Bearer {api_token(session, admin.user_id, 'admin')}"
        login_as(web, session, admin.user_id)
        yield api, web


def test_every_read_costs_the_same_with_more_distinct_data(
    world: World,
    session: Session,
    admin: Actor,
    clients: tuple[TestClient, WebClient],
    measure: Callable[[Callable[[], object]], int],
) -> None:
    api, web = clients
    reads = [(api, _url(op.path, world)) for op in _api_reads()]
    reads += [(web, p.replace("{incident}", world.incident).replace("{ci}", world.ci)) for p in PAGES]
    assert len(reads) >= 15

    def counts() -> dict[str, int]:
        out = {}
        for client, url in reads:
            assert client.get(url).status_code == 200, url
            out[url] = measure(lambda c=client, u=url: c.get(u))
        return out

    few = counts()
    _grow(session, admin, 6)
    many = counts()
    grew = {url: (few[url], many[url]) for url in few if many[url] != few[url]}
    assert grew == {}, f"queries grow with the data (N+1): {grew}"
    over = {url: (n, _budget(url)) for url, n in many.items() if n > _budget(url)}
    assert over == {}, f"over the budget (statements, budget): {over}"


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_request_is_one_transaction(backend: str, tmp_path: Path) -> None:
    """The caller is authenticated in the route's own transaction: a read is one BEGIN; a write is one,
    plus the audit sealer's own short one after the commit. On SQLite a write authenticates in a reading
    transaction (beside the single writer) and changes in a short IMMEDIATE one: one BEGIN more."""
    with fresh_database(backend, tmp_path) as url:
        migrate.upgrade(url)
        db = Database(url)
        begins: list[int] = []
        event.listen(db.engine, "begin", lambda conn: begins.append(1))
        try:
            with db.unit_of_work() as s:
                made = auth_service.ensure_first_admin(s, "admin@vigil.example", None, generate=False)
                assert made is not None
                token = api_token(s, made[0].id, "admin")
            with TestClient(create_app(db)) as client:
                client.headers["Authorization"] = f"Bearer {token}"
                number = client.post("/api/v1/incidents", json={"title": "One transaction"}).json()["number"]
                begins.clear()
                assert client.get(f"/api/v1/incidents/{number}").status_code == 200
                assert len(begins) == 1
                begins.clear()
                assert (
                    client.post(f"/api/v1/incidents/{number}/comments", json={"body": "hi"}).status_code
                    == 201
                )
                # the request (on SQLite: its reading part, then its change), then sealing its audit record
                assert len(begins) == (3 if backend == "sqlite" else 2)
        finally:
            db.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_create_reads_the_caller_once(backend: str, tmp_path: Path) -> None:
    """The caller's user, loaded with the token, is the requester a create defaults to: it is taken from
    the session, not read again; lookups repeated on every create come from the per-process cache."""
    with fresh_database(backend, tmp_path) as url:
        migrate.upgrade(url)
        db = Database(url)
        statements: list[str] = []
        event.listen(
            db.engine,
            "before_cursor_execute",
            lambda _c, _cur, sql, *_: statements.append(" ".join(sql.split())),
        )
        try:
            with db.unit_of_work() as s:
                made = auth_service.ensure_first_admin(s, "admin@vigil.example", None, generate=False)
                assert made is not None
                token = api_token(s, made[0].id, "admin")
            with TestClient(create_app(db, background_sealer=False)) as client:
                client.headers["Authorization"] = f"Bearer {token}"
                for n in range(2):
                    statements.clear()
                    made_one = client.post(
                        "/api/v1/incidents", json={"title": f"Disk {n}", "category": "Database"}
                    )
                    assert made_one.status_code == 201, made_one.text
                request = [s for s in statements if "audit_chain_head" not in s and "advisory" not in s]
                assert sum(s.startswith("SELECT") and "user_account" in s for s in request) == 1, request
        finally:
            db.dispose()
