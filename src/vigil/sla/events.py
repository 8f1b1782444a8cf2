"""Past-tense facts about SLA clocks, emitted in the writer's (or the sweeping worker's) transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class SlaThresholdReached:
    """A clock used `percent` of its target (75 and 90 warn, 100 is the breach): once per clock and
    threshold, however many workers sweep."""

    clock_id: uuid.UUID
    record_type: str
    record_id: uuid.UUID
    metric: str
    percent: int
    due_at: str
