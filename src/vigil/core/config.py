"""Runtime configuration, read from VIGIL_* environment variables (pydantic-settings)."""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Annotated, Any

from limits import parse_many
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    """The core's settings. Every setting has a safe default so `vigil serve` runs with no configuration;
    each domain reads its own (e.g. `vigil.auth.settings`, `vigil.incidents.settings`) the same way."""

    model_config = SettingsConfigDict(env_prefix="VIGIL_", extra="ignore")

    database_url: str = "sqlite:///./vigil.db"
    host: str = "127.0.0.1"
    port: int = 8000
    #: Seconds an Idempotency-Key is remembered.
    idempotency_ttl_seconds: int = 24 * 3600
    worker_poll_seconds: float = 1.0
    #: A claimed job is leased for this long; once it lapses another worker may take the job over.
    job_lease_seconds: float = Field(default=300.0, gt=0)
    log_level: str = "info"
    #: Addresses (or CIDR networks) of reverse proxies whose X-Forwarded-For is believed. Empty: none.
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    #: The audit chain's HMAC keyring: inline (VIGIL_AUDIT_KEY) or a file, created on first run.
    audit_key: SecretStr | None = None
    audit_key_file: str = "./vigil-audit.key"
    #: Records are sealed into the chain seconds after they commit; older unsealed ones fail `verify`.
    audit_seal_max_seconds: float = Field(default=300.0, gt=0)

    #: Where attachments are kept, content-addressed (`<dir>/ab/cd/<sha256>`), outside the database.
    attachment_dir: str = "./vigil-attachments"
    #: The largest attachment accepted, in bytes (413 beyond).
    attachment_max_bytes: int = Field(default=25 * 1024 * 1024, gt=0)

    #: SQLite's page cache per connection, in MiB. The full-text index is read on every insert (its
    #: segments merge): a cache that holds it keeps creates from stalling (64 MiB ~ 400k incidents).
    sqlite_cache_mb: int = Field(default=32, ge=2, le=4096)
    #: SQLite connections per process: one writer at a time, so a few are enough (each has its own cache).
    sqlite_pool_size: int = Field(default=6, ge=1, le=64)

    #: A directory shared by every Vigil process on the host (`vigil serve --workers N`, `vigil worker`):
    #: prometheus_client's multiprocess mode keeps each process's counters there and /metrics adds them
    #: up. Unset: each process counts for itself (fine for one server process). docs/metrics.md
    metrics_dir: str | None = None
    #: When set, /metrics answers only `Authorization: Bearer <token>` (401 otherwise).
    metrics_token: SecretStr | None = None

    #: API rate limits (per server process): per bearer token, and per client address for every API request.
    #: `limits` notation ("600/minute", "10/second;1000/hour"); empty turns that limit off.
    rate_limit_per_token: str = "600/minute"
    rate_limit_per_address: str = "1200/minute"

    @field_validator("rate_limit_per_token", "rate_limit_per_address")
    @classmethod
    def _rate(cls, value: str) -> str:
        if value.strip():
            parse_many(value)  # ValueError names what is wrong
        return value.strip()

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        """`VIGIL_TRUSTED_PROXIES=10.0.0.5,10.1.0.0/16`; each entry must be an address or a network."""
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        for entry in value or []:
            ipaddress.ip_network(str(entry).strip(), strict=False)  # ValueError names the bad entry
        return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
