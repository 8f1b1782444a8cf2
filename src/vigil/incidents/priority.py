"""Priority from an impact x urgency matrix (ITIL 4), configurable through settings."""

from __future__ import annotations

from enum import StrEnum

from vigil.core.errors import Invalid


class Level(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class Priority(StrEnum):
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"


def compute(impact: str, urgency: str, matrix: dict[str, dict[str, str]]) -> Priority:
    try:
        return Priority(matrix[impact][urgency])
    except (KeyError, ValueError) as exc:
        raise Invalid(
            f"the priority matrix has no valid entry for impact={impact}, urgency={urgency}"
        ) from exc
