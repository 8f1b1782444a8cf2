"""Runtime configuration, read from VIGIL_* environment variables (pydantic-settings)."""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

#: Default impact x urgency -> priority matrix (ITIL 4): rows are impact, columns urgency.
DEFAULT_PRIORITY_MATRIX: dict[str, dict[str, str]] = {
    "high": {"high": "P1", "medium": "P2", "low": "P3"},
    "medium": {"high": "P2", "medium": "P3", "low": "P4"},
    "low": {"high": "P3", "medium": "P4", "low": "P4"},
}


class Settings(BaseSettings):
    """Every setting has a safe default so `vigil serve` runs with no configuration at all."""

    model_config = SettingsConfigDict(env_prefix="VIGIL_", extra="ignore")

    database_url: str = "sqlite:///./vigil.db"
    host: str = "127.0.0.1"
    port: int = 8000
    #: How long after resolution a requester or agent may still reopen an incident.
    reopen_window_hours: float = Field(default=168.0, ge=0)
    #: Resolved incidents are closed automatically this long after resolution (0 disables).
    auto_close_after_hours: float = Field(default=72.0, ge=0)
    priority_matrix: dict[str, dict[str, str]] = Field(default_factory=lambda: DEFAULT_PRIORITY_MATRIX)
    #: Seconds an Idempotency-Key is remembered.
    idempotency_ttl_seconds: int = 24 * 3600
    worker_poll_seconds: float = 1.0
    #: A claimed job is leased for this long; once it lapses another worker may take the job over.
    job_lease_seconds: float = Field(default=300.0, gt=0)
    log_level: str = "info"
    #: The first administrator, created by `vigil serve` on a database without one.
    admin_email: str = "admin@vigil.example"
    #: Its password; when unset a random one is generated and printed once.
    admin_password: SecretStr | None = None
    #: A web login lasts this long.
    session_hours: float = Field(default=12.0, gt=0)
    #: "auto" marks the session cookie Secure when the request came over https.
    cookie_secure: Literal["auto", "always", "never"] = "auto"
    #: Failed logins allowed per account (and 4x that per client address) within the window.
    login_max_failures: int = Field(default=5, ge=1)
    login_window_minutes: float = Field(default=15.0, gt=0)
    #: Past the limit, a throttled source waits this long, doubled per further failure, up to the cap.
    login_backoff_seconds: float = Field(default=2.0, gt=0)
    login_backoff_max_seconds: float = Field(default=900.0, gt=0)
    #: Addresses (or CIDR networks) of reverse proxies whose X-Forwarded-For is believed. Empty: none.
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    #: The audit chain's HMAC keyring: inline (VIGIL_AUDIT_KEY) or a file, created on first run.
    audit_key: SecretStr | None = None
    audit_key_file: str = "./vigil-audit.key"

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        """`VIGIL_TRUSTED_PROXIES=10.0.0.5,10.1.0.0/16`; each entry must be an address or a network."""
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        for entry in value or []:
            ipaddress.ip_network(str(entry).strip(), strict=False)  # ValueError names the bad entry
        return value

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
def get_settings() -> Settings:
    return Settings()
