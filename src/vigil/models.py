"""Every domain's tables on one `Base.metadata` (Alembic and the test suite use it)."""

from vigil import domains
from vigil.core import registry
from vigil.core.db import Base

domains.register()
_modules = list(registry.objects("models"))  # importing a models module registers its tables

metadata = Base.metadata

__all__ = ["metadata"]
