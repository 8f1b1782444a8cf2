"""The calendars and policies every Vigil starts with (seeded by migration 0014), from the seeds:
the action plan's targets (the default) and the operational processes' severity table.

Targets are business seconds on their calendar. On "Business hours" (Monday to Friday, 09:00-18:00) a
day of target is a working day of 9 hours: the action plan's P3 "5 days" is 45 business hours."""

from __future__ import annotations

import uuid
from typing import Any

MINUTE, HOUR = 60, 3600
WORKDAY = 9 * HOUR  # 09:00-18:00

ALWAYS = "24x7"
BUSINESS_HOURS = "Business hours"

CALENDARS: list[dict[str, Any]] = [
    {
        "id": uuid.UUID("5e7a0000-0000-4000-8000-000000000001"),
        "name": ALWAYS,
        "timezone": "UTC",
        "week": [[[0, 1440]]] * 7,
    },
    {
        "id": uuid.UUID("5e7a0000-0000-4000-8000-000000000002"),
        "name": BUSINESS_HOURS,
        "timezone": "UTC",
        "week": [[[540, 1080]]] * 5 + [[], []],
    },
]


def _targets(table: dict[str, tuple[int, int, str]]) -> dict[str, Any]:
    return {p: {"response": r, "resolution": s, "calendar": c} for p, (r, s, c) in table.items()}


POLICIES: list[dict[str, Any]] = [
    {
        "id": uuid.UUID("5e7a0000-0000-4000-8000-000000000011"),
        "name": "Action plan",
        "position": 10,
        "active": True,
        "targets": _targets(
            {
                "P1": (15 * MINUTE, 4 * HOUR, ALWAYS),
                "P2": (1 * HOUR, 24 * HOUR, BUSINESS_HOURS),
                "P3": (4 * HOUR, 5 * WORKDAY, BUSINESS_HOURS),
                "P4": (2 * WORKDAY, 30 * WORKDAY, BUSINESS_HOURS),
            }
        ),
    },
    {
        # The severity table (critical, high, medium, low as P1-P4), around the clock; off until chosen.
        "id": uuid.UUID("5e7a0000-0000-4000-8000-000000000012"),
        "name": "Operational severity",
        "position": 20,
        "active": False,
        "targets": _targets(
            {
                "P1": (15 * MINUTE, 2 * HOUR, ALWAYS),
                "P2": (30 * MINUTE, 4 * HOUR, ALWAYS),
                "P3": (2 * HOUR, 8 * HOUR, ALWAYS),
                "P4": (4 * HOUR, 24 * HOUR, ALWAYS),
            }
        ),
    },
]
