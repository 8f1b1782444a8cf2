"""The CMDB's parts: tables, endpoints, pages, library facets, commands."""

from vigil.core.registry import Domain

DOMAIN = Domain(
    name="cmdb",
    models=("vigil.cmdb.models",),
    # The import actions first, so /cis/import is not read as a CI called "import".
    api=("vigil.cmdb.api_import:router", "vigil.cmdb.api:router", "vigil.cmdb.api:classes"),
    ui=("vigil.cmdb.ui:router", "vigil.cmdb.ui_detail:router"),
    cli=(("cmdb", "vigil.cmdb.cli:app", "The CMDB: configuration items, relationships, impact, imports."),),
    facets=(("cis", "vigil.cmdb.library:CIs"), ("ci_classes", "vigil.cmdb.library:CIClasses")),
)
