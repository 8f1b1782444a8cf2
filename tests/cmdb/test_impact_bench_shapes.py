"""The shapes the impact benchmark exercises, small: a cycle, a diamond, a part_of edge and the depth
bound, with the distances and paths `service.impact` returns (so a faster query keeps the same answer)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.cmdb import service
from vigil.cmdb.models import ConfigurationItem
from vigil.cmdb.schemas import CICreate, ImpactDirection, ImpactQuery, ImpactRead
from vigil.cmdb.service import reach
from vigil.core.actor import Actor

#: name -> class of the little estate.
CIS = {
    "shop": "business_service",
    "checkout": "technical_service",
    "cart-app": "application",
    "billing-app": "application",
    "cache-app": "application",
    "orders-db": "database",
    "vm-1": "virtual_machine",
    "host-1": "host",
    "switch-1": "network_device",
}
#: source, kind, target.
RELS = [
    ("shop", "depends_on", "checkout"),
    ("cart-app", "part_of", "checkout"),  # a part's failure reaches the whole
    ("billing-app", "part_of", "checkout"),  # the diamond: checkout is reached through both apps
    ("cart-app", "depends_on", "orders-db"),
    ("cart-app", "runs_on", "vm-1"),
    ("billing-app", "runs_on", "vm-1"),
    ("orders-db", "hosted_on", "vm-1"),
    ("cart-app", "depends_on", "cache-app"),  # the cycle: cart-app and cache-app rely on each other
    ("cache-app", "depends_on", "cart-app"),
    ("vm-1", "hosted_on", "host-1"),
    ("host-1", "connects_to", "switch-1"),
]


@pytest.fixture
def estate(session: Session, admin: Actor) -> dict[str, ConfigurationItem]:
    cis = {
        name: service.create(session=session, actor=admin, data=CICreate(name=name, ci_class=cls))
        for name, cls in CIS.items()
    }
    for source, kind, target in RELS:
        service.add(session, admin, cis[source], kind, cis[target])
    return cis


def _impact(session: Session, admin: Actor, ci: ConfigurationItem, **query: object) -> ImpactRead:
    return service.impact(
        session=session, actor=admin, ref=str(ci.id), query=ImpactQuery.model_validate(query)
    )


def _shape(answer: ImpactRead) -> list[tuple[str, int, list[tuple[str, str]]]]:
    return [
        (item.ci.name, item.distance, [(step.ci.name, step.kind.value) for step in item.path])
        for item in answer.items
    ]


def test_upstream_from_the_switch_reaches_each_ci_once_at_its_shortest_distance(
    session: Session, admin: Actor, estate: dict[str, ConfigurationItem]
) -> None:
    answer = _impact(session, admin, estate["switch-1"], depth=10)
    to_vm = [("host-1", "connects_to"), ("vm-1", "hosted_on")]
    # Of checkout's two parents one step nearer (cart-app, billing-app) the path goes through the one
    # with the smaller id, so answers are stable.
    via = min((estate["billing-app"], estate["cart-app"]), key=lambda ci: ci.id).name
    assert _shape(answer) == [
        ("host-1", 1, [("host-1", "connects_to")]),
        ("vm-1", 2, to_vm),
        ("billing-app", 3, [*to_vm, ("billing-app", "runs_on")]),
        ("cart-app", 3, [*to_vm, ("cart-app", "runs_on")]),
        ("orders-db", 3, [*to_vm, ("orders-db", "hosted_on")]),
        ("cache-app", 4, [*to_vm, ("cart-app", "runs_on"), ("cache-app", "depends_on")]),
        ("checkout", 4, [*to_vm, (via, "runs_on"), ("checkout", "part_of")]),
        ("shop", 5, [*to_vm, (via, "runs_on"), ("checkout", "part_of"), ("shop", "depends_on")]),
    ]
    assert [s.ci.name for s in answer.services] == ["checkout", "shop"]
    assert not answer.truncated


def test_the_depth_bounds_the_walk_and_the_cycle_ends_it(
    session: Session, admin: Actor, estate: dict[str, ConfigurationItem]
) -> None:
    assert [i.ci.name for i in _impact(session, admin, estate["switch-1"], depth=2).items] == [
        "host-1",
        "vm-1",
    ]
    # From inside the cycle: each side reaches the other once, and never itself.
    answer = _impact(session, admin, estate["cache-app"], depth=25)
    assert _shape(answer) == [
        ("cart-app", 1, [("cart-app", "depends_on")]),
        ("checkout", 2, [("cart-app", "depends_on"), ("checkout", "part_of")]),
        ("shop", 3, [("cart-app", "depends_on"), ("checkout", "part_of"), ("shop", "depends_on")]),
    ]


def test_downstream_from_the_business_service_walks_the_edges_backwards(
    session: Session, admin: Actor, estate: dict[str, ConfigurationItem]
) -> None:
    answer = _impact(session, admin, estate["shop"], direction=ImpactDirection.DOWNSTREAM, depth=10)
    to_cart = [("checkout", "depends_on"), ("cart-app", "part_of")]
    assert _shape(answer) == [
        ("checkout", 1, [("checkout", "depends_on")]),
        ("billing-app", 2, [("checkout", "depends_on"), ("billing-app", "part_of")]),
        ("cart-app", 2, to_cart),
        ("cache-app", 3, [*to_cart, ("cache-app", "depends_on")]),
        ("orders-db", 3, [*to_cart, ("orders-db", "depends_on")]),
        ("vm-1", 3, [("checkout", "depends_on"), (_first(estate), "part_of"), ("vm-1", "runs_on")]),
        ("host-1", 4, [("checkout", "depends_on"), (_first(estate), "part_of"), ("vm-1", "runs_on"),
                       ("host-1", "hosted_on")]),
        ("switch-1", 5, [("checkout", "depends_on"), (_first(estate), "part_of"), ("vm-1", "runs_on"),
                         ("host-1", "hosted_on"), ("switch-1", "connects_to")]),
    ]  # fmt: skip
    assert [s.ci.name for s in answer.services] == ["checkout"]


def _first(estate: dict[str, ConfigurationItem]) -> str:
    """vm-1 is reached downstream from both applications at distance 2: the smaller id is its parent."""
    return min((estate["billing-app"], estate["cart-app"]), key=lambda ci: ci.id).name


def _reached(
    session: Session, origins: list[ConfigurationItem], direction: ImpactDirection, depth: int
) -> dict[str, int]:
    walked = reach.walk(session, [ci.id for ci in origins], direction, depth)
    rows = session.execute(
        select(ConfigurationItem.name, walked.c.depth).join(walked, walked.c.node == ConfigurationItem.id)
    )
    return {name: depth for name, depth in rows}


@pytest.mark.parametrize("direction", list(ImpactDirection))
def test_the_complete_walk_finds_what_the_answer_finds_each_ci_once(
    session: Session, admin: Actor, estate: dict[str, ConfigurationItem], direction: ImpactDirection
) -> None:
    """`reach.walk` (what incidents' impacted services come from) gives every CI of the impact answer
    at the same shortest distance, through the cycle and the diamond, within the same depth bound."""
    for origin, depth in (("switch-1", 10), ("switch-1", 2), ("cache-app", 25), ("shop", 10), ("vm-1", 3)):
        answer = _impact(session, admin, estate[origin], direction=direction, depth=depth)
        expected = {origin: 0} | {item.ci.name: item.distance for item in answer.items}
        assert _reached(session, [estate[origin]], direction, depth) == expected


def test_the_complete_walk_starts_from_several_cis_and_runs_again_on_the_same_connection(
    session: Session, estate: dict[str, ConfigurationItem]
) -> None:
    both = _reached(session, [estate["orders-db"], estate["billing-app"]], ImpactDirection.UPSTREAM, 10)
    assert both == {"orders-db": 0, "billing-app": 0, "cart-app": 1, "checkout": 1, "cache-app": 2, "shop": 2}
    again = _reached(session, [estate["host-1"]], ImpactDirection.UPSTREAM, 1)
    assert again == {"host-1": 0, "vm-1": 1}  # the table was emptied first
