"""Free text through the index, on both databases: word prefixes, every word required, edits re-indexed,
and no input that breaks the engines' query syntax."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tests.factories.incidents import make_incident
from vigil.core import search
from vigil.core.actor import Actor
from vigil.incidents import service
from vigil.incidents.schemas import IncidentFilter, IncidentUpdate


def _found(session: Session, admin: Actor, q: str) -> set[str]:
    page = service.list_incidents(session=session, actor=admin, filters=IncidentFilter(q=q, limit=200))
    return {i.title for i in page.items}


def test_words_match_by_prefix_and_all_must_occur(session: Session, admin: Actor) -> None:
    make_incident(session, admin, title="Gateway timeouts on checkout", description="Nginx returns 504")
    make_incident(session, admin, title="Checkout page slow", description="Database latency spikes")
    make_incident(session, admin, title="Zürich office printer", description="Paper jam on floor 3")
    assert _found(session, admin, "timeout") == {"Gateway timeouts on checkout"}
    assert _found(session, admin, "checkout") == {"Gateway timeouts on checkout", "Checkout page slow"}
    assert _found(session, admin, "CHECKOUT latency") == {"Checkout page slow"}
    assert _found(session, admin, "504") == {"Gateway timeouts on checkout"}
    assert _found(session, admin, "zürich") == {"Zürich office printer"}
    assert _found(session, admin, "kubernetes") == set()


def test_edits_are_reindexed(session: Session, admin: Actor) -> None:
    inc = make_incident(session, admin, title="Wifi flaky in lobby")
    service.update(
        session=session, actor=admin, ref=inc.id, data=IncidentUpdate(title="Ethernet down in lobby")
    )
    assert _found(session, admin, "ethernet") == {"Ethernet down in lobby"}
    assert _found(session, admin, "wifi") == set()


@pytest.mark.parametrize(
    "q",
    ['"', "*", "a:*", "it's", "x & y | !z", "(", "NEAR(a b)", "col:word", "'; DROP TABLE incident; --", "^"],
)
def test_no_input_breaks_the_query_syntax(session: Session, admin: Actor, q: str) -> None:
    make_incident(session, admin, title="Its word col y a")
    _found(session, admin, q)  # no error, whatever it finds


def test_only_words_reach_the_engines() -> None:
    assert search.words('Time-outs: "a" & b*') == ["time", "outs", "a", "b"]
    assert len(search.words(" ".join(["w"] * 50))) == search.MAX_WORDS


@pytest.mark.parametrize(("probe", "dense"), [(0, 10), (1, 10), (1000, 10), (1000, 1)])
def test_rare_and_common_words_give_the_same_answers(
    session: Session, admin: Actor, monkeypatch: pytest.MonkeyPatch, probe: int, dense: int
) -> None:
    """PostgreSQL answers a rare word from the ids its index probe found, a common one with the text
    condition: whichever path a query takes, the answer is the same."""
    monkeypatch.setattr(search, "PROBE", probe)
    monkeypatch.setattr(search, "DENSE", dense)
    for i in range(3):
        make_incident(session, admin, title=f"Disk pressure on node {i}")
    make_incident(session, admin, title="Unrelated printer")
    assert _found(session, admin, "pressure") == {f"Disk pressure on node {i}" for i in range(3)}
    assert _found(session, admin, "pressure node 2") == {"Disk pressure on node 2"}
    assert _found(session, admin, "absentword") == set()
