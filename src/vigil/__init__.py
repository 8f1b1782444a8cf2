"""Vigil: self-hosted ITIL 4 IT service management.

import vigil
v = vigil.connect("sqlite:///vigil.db")
inc = v.incidents.create(title="API gateway 503s", impact="high", urgency="high")
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

from vigil.client import Vigil  # noqa: E402  (the facade needs __version__-free modules only)


def connect(url: str, *, migrate: bool = True, **kwargs: Any) -> Vigil:
    """Open Vigil on a database URL: the same services the API uses, without a server."""
    return Vigil(url, migrate=migrate, **kwargs)


__all__ = ["Vigil", "__version__", "connect"]
