"""The incident state machine as a table: action -> (states it may start from, state it leads to)."""

from __future__ import annotations

from enum import StrEnum

from vigil.core.errors import IllegalTransition


class Status(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    ON_HOLD = "on_hold"
    RESOLVED = "resolved"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class Action(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    HOLD = "hold"
    RESUME = "resume"
    RESOLVE = "resolve"
    CLOSE = "close"
    REOPEN = "reopen"
    CANCEL = "cancel"


_WORKING = frozenset({Status.OPEN, Status.IN_PROGRESS, Status.ON_HOLD})

TRANSITIONS: dict[Action, tuple[frozenset[Status], Status]] = {
    Action.ACKNOWLEDGE: (frozenset({Status.OPEN}), Status.IN_PROGRESS),
    Action.HOLD: (frozenset({Status.IN_PROGRESS}), Status.ON_HOLD),
    Action.RESUME: (frozenset({Status.ON_HOLD}), Status.IN_PROGRESS),
    Action.RESOLVE: (_WORKING, Status.RESOLVED),
    Action.CLOSE: (frozenset({Status.RESOLVED}), Status.CLOSED),
    Action.REOPEN: (frozenset({Status.RESOLVED}), Status.IN_PROGRESS),
    Action.CANCEL: (_WORKING, Status.CANCELLED),
}

FINAL = frozenset({Status.CLOSED, Status.CANCELLED})
#: Still being worked: what counts as open work on a CI.
OPEN = _WORKING


def allowed_actions(status: str) -> list[Action]:
    return [action for action, (sources, _) in TRANSITIONS.items() if status in sources]


def target(status: str, action: Action, number: str = "incident") -> Status:
    """The state `action` leads to from `status`, or a Conflict naming the state and the allowed actions."""
    sources, to = TRANSITIONS[action]
    if status not in sources:
        allowed = ", ".join(allowed_actions(status)) or "none (the incident is final)"
        raise IllegalTransition(
            f"cannot {action} {number}: it is {status}; allowed actions: {allowed}",
            current_status=status,
            allowed_actions=[str(a) for a in allowed_actions(status)],
        )
    return to


def action_to(status: str, wanted: str) -> Action:
    """The action that moves `status` to `wanted` (for PATCH {"status": ...}), or a Conflict."""
    for action, (sources, to) in TRANSITIONS.items():
        if status in sources and to == wanted:
            return action
    allowed = ", ".join(f"{a} (-> {TRANSITIONS[a][1]})" for a in allowed_actions(status)) or "none"
    raise IllegalTransition(
        f"cannot change status from {status} to {wanted}; allowed actions: {allowed}",
        current_status=status,
        allowed_actions=[str(a) for a in allowed_actions(status)],
    )
