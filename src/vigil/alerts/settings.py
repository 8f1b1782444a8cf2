"""Alert intake's settings (VIGIL_* environment variables)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class AlertSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VIGIL_", extra="ignore")

    #: Largest webhook body intake accepts (VIGIL_ALERT_MAX_BYTES); more is a 413, nothing stored.
    alert_max_bytes: int = Field(default=1024 * 1024, gt=0)


@lru_cache(maxsize=1)
def get_alert_settings() -> AlertSettings:
    return AlertSettings()
