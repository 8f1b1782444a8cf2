"""Vigil: self-hosted ITIL 4 IT service management.

import vigil
v = vigil.connect("sqlite:///vigil.db")
inc = v.incidents.create(title="API gateway 503s", impact="high", urgency="high")
"""

from __future__ import annotations

__version__ = "0.1.0"

from vigil.client import Vigil  # noqa: E402  (the facade needs __version__-free modules only)


def connect(url: str, *, user: str | None = None, migrate: bool = True) -> Vigil:
    """Open Vigil on a database URL: the same services the API uses, without a server.

    Calls act as `user` (an email) with that user's rights, or as the first administrator.
    """
    return Vigil(url, migrate=migrate, user=user)


__all__ = ["Vigil", "__version__", "connect"]
