"""Incident management's settings (VIGIL_* environment variables): reopening, auto-close, priority matrix."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: Default impact x urgency -> priority matrix (ITIL 4): rows are impact, columns urgency.
DEFAULT_PRIORITY_MATRIX: dict[str, dict[str, str]] = {
    "high": {"high": "P1", "medium": "P2", "low": "P3"},
    "medium": {"high": "P2", "medium": "P3", "low": "P4"},
    "low": {"high": "P3", "medium": "P4", "low": "P4"},
}


class IncidentSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VIGIL_", extra="ignore")

    #: How long after resolution a requester or agent may still reopen an incident.
    reopen_window_hours: float = Field(default=168.0, ge=0)
    #: Resolved incidents are closed automatically this long after resolution (0 disables).
    auto_close_after_hours: float = Field(default=72.0, ge=0)
    priority_matrix: dict[str, dict[str, str]] = Field(default_factory=lambda: DEFAULT_PRIORITY_MATRIX)
    #: Statuses in which the SLA clocks pause (VIGIL_SLA_PAUSE_STATUSES='["on_hold"]').
    sla_pause_statuses: list[str] = Field(default_factory=lambda: ["on_hold"])
    #: Reopening a resolved incident restarts its resolution clock (keeping the time it had used).
    sla_reopen_restarts: bool = True
    #: At this percent of the resolution time the group's manager is brought in (hierarchical
    #: escalation); null: never automatically (VIGIL_SLA_ESCALATE_MANAGER_AT=90).
    sla_escalate_manager_at: int | None = 90
    #: At this percent the incident goes to the next support level's team (functional escalation).
    sla_escalate_functional_at: int | None = 100
    #: An incident whose affected CIs reach a service of this criticality or more critical (1 is the
    #: most) gets impact high, and the timeline says why; null: never (VIGIL_CRITICAL_SERVICE_RAISES_IMPACT_AT).
    critical_service_raises_impact_at: int | None = Field(default=1, ge=1, le=4)

    @field_validator("priority_matrix")
    @classmethod
    def _complete_matrix(cls, matrix: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        """Refuse to start with a matrix that leaves an impact x urgency pair without P1-P4."""
        levels, priorities = ("high", "medium", "low"), {"P1", "P2", "P3", "P4"}
        missing = [f"{i}/{u}" for i in levels for u in levels if matrix.get(i, {}).get(u) not in priorities]
        if missing:
            raise ValueError(
                f"priority_matrix needs P1-P4 for every impact/urgency pair; missing or bad: {missing}"
            )
        return matrix


@lru_cache(maxsize=1)
def get_incident_settings() -> IncidentSettings:
    return IncidentSettings()
