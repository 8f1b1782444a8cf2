"""Priority matrix: the default ITIL 4 matrix, a custom one, and an incomplete one."""

from __future__ import annotations

import pytest

from vigil.core.config import DEFAULT_PRIORITY_MATRIX
from vigil.core.errors import Invalid
from vigil.incidents.priority import Level, Priority, compute, validate_matrix


@pytest.mark.parametrize(
    ("impact", "urgency", "expected"),
    [
        ("high", "high", "P1"),
        ("high", "medium", "P2"),
        ("high", "low", "P3"),
        ("medium", "high", "P2"),
        ("medium", "medium", "P3"),
        ("medium", "low", "P4"),
        ("low", "high", "P3"),
        ("low", "medium", "P4"),
        ("low", "low", "P4"),
    ],
)
def test_default_matrix(impact: str, urgency: str, expected: str) -> None:
    assert compute(impact, urgency, DEFAULT_PRIORITY_MATRIX) == Priority(expected)


def test_custom_matrix_and_validation() -> None:
    matrix = {i: {u: "P2" for u in Level} for i in Level}
    validate_matrix(matrix)
    assert compute("low", "low", matrix) == Priority.P2
    broken = {"high": {"high": "P1"}}
    with pytest.raises(Invalid, match="impact=high, urgency=medium"):
        validate_matrix(broken)
    with pytest.raises(Invalid):
        compute("high", "high", {"high": {"high": "P9"}})
