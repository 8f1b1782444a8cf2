"""The CMDB's parts: tables and endpoints."""

from vigil.core.registry import Domain

DOMAIN = Domain(
    name="cmdb",
    models=("vigil.cmdb.models",),
    api=("vigil.cmdb.api:router",),
    facets=(("cis", "vigil.cmdb.library:CIs"),),
)
