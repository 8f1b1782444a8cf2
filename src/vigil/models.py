"""Imports every domain's tables so `Base.metadata` is complete (Alembic and the test suite use it)."""

from vigil.auth import models as auth_models
from vigil.cmdb import models as cmdb_models
from vigil.core import audit, idempotency, numbering
from vigil.core.db import Base
from vigil.core.jobs import models as job_models
from vigil.incidents import models as incident_models

metadata = Base.metadata

__all__ = [
    "auth_models",
    "audit",
    "cmdb_models",
    "idempotency",
    "incident_models",
    "job_models",
    "metadata",
    "numbering",
]
