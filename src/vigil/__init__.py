"""Vigil: self-hosted ITIL 4 IT service management.

import vigil
v = vigil.connect("sqlite:///vigil.db")
inc = v.incidents.create(title="API gateway 503s", impact="high", urgency="high")
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vigil.version import __version__

if TYPE_CHECKING:
    from vigil.client import Vigil


def connect(url: str, *, user: str | None = None, migrate: bool = True) -> Vigil:
    """Open Vigil on a database URL: the same services the API uses, without a server.

    Calls act as `user` (an email) with that user's rights, or as the first administrator.
    """
    from vigil.client import Vigil  # imported on first use: `import vigil.core.clock` stays light

    return Vigil(url, migrate=migrate, user=user)


def __getattr__(name: str) -> Any:
    if name == "Vigil":
        from vigil.client import Vigil

        return Vigil
    raise AttributeError(f"module 'vigil' has no attribute {name!r}")


__all__ = ["Vigil", "__version__", "connect"]
