"""Identity's settings (VIGIL_* environment variables): the first administrator, sessions, login throttling."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class AuthSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VIGIL_", extra="ignore")

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


@lru_cache(maxsize=1)
def get_auth_settings() -> AuthSettings:
    return AuthSettings()
