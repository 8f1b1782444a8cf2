"""The state machine table, exhaustively: every (state, action) pair either moves or names what is allowed."""

from __future__ import annotations

import pytest

from vigil.core.errors import Conflict
from vigil.incidents.lifecycle import FINAL, TRANSITIONS, Action, Status, action_to, allowed_actions, target

EXPECTED = {
    (Status.OPEN, Action.ACKNOWLEDGE): Status.IN_PROGRESS,
    (Status.OPEN, Action.RESOLVE): Status.RESOLVED,
    (Status.OPEN, Action.CANCEL): Status.CANCELLED,
    (Status.IN_PROGRESS, Action.HOLD): Status.ON_HOLD,
    (Status.IN_PROGRESS, Action.RESOLVE): Status.RESOLVED,
    (Status.IN_PROGRESS, Action.CANCEL): Status.CANCELLED,
    (Status.ON_HOLD, Action.RESUME): Status.IN_PROGRESS,
    (Status.ON_HOLD, Action.RESOLVE): Status.RESOLVED,
    (Status.ON_HOLD, Action.CANCEL): Status.CANCELLED,
    (Status.RESOLVED, Action.CLOSE): Status.CLOSED,
    (Status.RESOLVED, Action.REOPEN): Status.IN_PROGRESS,
}


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("action", list(Action))
def test_every_pair(status: Status, action: Action) -> None:
    expected = EXPECTED.get((status, action))
    if expected is not None:
        assert target(status, action) == expected
        assert action in allowed_actions(status)
        return
    with pytest.raises(Conflict) as err:
        target(status, action, "INC-000001")
    assert status.value in err.value.detail
    assert err.value.extra["current_status"] == status
    assert err.value.extra["allowed_actions"] == [str(a) for a in allowed_actions(status)]
    assert action not in allowed_actions(status)


def test_final_states_allow_nothing() -> None:
    for status in FINAL:
        assert allowed_actions(status) == []
        assert "final" in str(pytest.raises(Conflict, target, status, Action.REOPEN).value)


def test_table_matches_expectations() -> None:
    derived = {(s, a): to for a, (sources, to) in TRANSITIONS.items() for s in sources}
    assert derived == EXPECTED


def test_action_to_finds_the_action_for_a_target_status() -> None:
    assert action_to(Status.OPEN, Status.IN_PROGRESS) == Action.ACKNOWLEDGE
    assert action_to(Status.ON_HOLD, Status.IN_PROGRESS) == Action.RESUME
    assert action_to(Status.RESOLVED, Status.IN_PROGRESS) == Action.REOPEN
    assert action_to(Status.RESOLVED, Status.CLOSED) == Action.CLOSE
    with pytest.raises(Conflict, match="cannot change status from open to closed"):
        action_to(Status.OPEN, Status.CLOSED)
