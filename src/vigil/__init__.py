"""Vigil: self-hosted ITIL 4 IT service management.

import vigil
v = vigil.connect("sqlite:///vigil.db")                              # in-process, on the database
v = vigil.connect("https://vigil.example.com", token="vgl_...")      # or over the REST API
inc = v.incidents.create(title="API gateway 503s", impact="high", urgency="high")
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from vigil.core.errors import (
    Conflict,
    Duplicate,
    Forbidden,
    IdempotencyKeyReuse,
    IllegalTransition,
    Invalid,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    StaleVersion,
    Unauthorized,
    Unavailable,
    UnsupportedMediaType,
    VigilError,
)
from vigil.version import __version__

if TYPE_CHECKING:
    from vigil.client import Vigil


def connect(
    url: str,
    *,
    token: str | None = None,
    user: str | None = None,
    migrate: bool = True,
    timeout: float = 30.0,
    retries: int = 4,
) -> Vigil:
    """Open Vigil: the same facade (`v.incidents`, `v.users`, `v.teams`, `v.cis`) either way.

    An `http(s)://` URL speaks the server's REST API as the owner of `token` (default: $VIGIL_TOKEN),
    retrying a 429 or 503 up to `retries` times; each call times out after `timeout` seconds.
    A database URL runs the services in-process (migrating the database unless `migrate=False`), as
    `user` (an email) with that user's rights, or as the first administrator.

    Problems show here, not at the first call: a server that cannot be reached or a token it refuses
    (`vigil.Unavailable`, `vigil.Unauthorized`: connecting asks the server who the token belongs to),
    a database that cannot be opened or has no schema (`vigil.Unavailable`, saying what to run).
    """
    # Imported on first use: `import vigil` stays light, and the HTTP client loads no database tooling.
    from vigil.client import Vigil

    if url.startswith(("http://", "https://")):
        from vigil.remote import HttpTransport

        if user is not None:
            raise ValueError("over HTTP you act as the token's owner; `user=` is for database URLs")
        token = token or os.environ.get("VIGIL_TOKEN")
        if not token:
            raise ValueError("connecting to a server needs an API token: token=... or VIGIL_TOKEN")
        v = Vigil(HttpTransport(url, token, timeout=timeout, retries=retries))
        try:
            v.users.me()
        except BaseException:
            v.close()
            raise
        return v
    from vigil.local import database_transport

    return Vigil(database_transport(url, user=user, migrate=migrate))


def __getattr__(name: str) -> Any:
    if name == "Vigil":
        from vigil.client import Vigil

        return Vigil
    raise AttributeError(f"module 'vigil' has no attribute {name!r}")


__all__ = [
    "Conflict",
    "Duplicate",
    "Forbidden",
    "IdempotencyKeyReuse",
    "IllegalTransition",
    "Invalid",
    "NotFound",
    "PayloadTooLarge",
    "RateLimited",
    "StaleVersion",
    "Unauthorized",
    "Unavailable",
    "UnsupportedMediaType",
    "Vigil",
    "VigilError",
    "__version__",
    "connect",
]
