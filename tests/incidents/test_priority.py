"""Priority matrix: the default ITIL 4 matrix, a custom one, and an incomplete one."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from vigil.core.errors import Invalid
from vigil.incidents.priority import Level, Priority, compute
from vigil.incidents.settings import DEFAULT_PRIORITY_MATRIX, IncidentSettings


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


def test_custom_matrix_from_settings_and_refusal_of_incomplete_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIGIL_PRIORITY_MATRIX", json.dumps({i: {u: "P2" for u in Level} for i in Level}))
    assert compute("low", "low", IncidentSettings().priority_matrix) == Priority.P2
    monkeypatch.setenv("VIGIL_PRIORITY_MATRIX", json.dumps({"high": {"high": "P1", "medium": "P9"}}))
    with pytest.raises(ValidationError, match="high/medium"):
        IncidentSettings()
    with pytest.raises(Invalid):
        compute("high", "high", {"high": {"high": "P9"}})
