"""Incident management's parts: tables, endpoints, pages, CLI, jobs and the library facet."""

from vigil.core.registry import Domain

DOMAIN = Domain(
    name="incidents",
    models=("vigil.incidents.models",),
    api=(
        "vigil.incidents.api:router",
        "vigil.incidents.api_related:router",
        "vigil.incidents.api_bulk:router",
        "vigil.incidents.api:categories_router",
    ),
    ui=(
        "vigil.incidents.ui_queue:router",
        "vigil.incidents.ui_related:router",
        "vigil.incidents.ui:router",
        "vigil.incidents.ui_portal:router",
    ),
    cli=(("incident", "vigil.incidents.cli:app", "Incidents: create, list, show and work them."),),
    jobs=("vigil.incidents.jobs",),
    hooks=("vigil.incidents.links",),
    settings="vigil.incidents.settings:get_incident_settings",
    facets=(("incidents", "vigil.incidents.library:Incidents"),),
)
