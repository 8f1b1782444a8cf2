"""Incident management's parts: tables, endpoints, pages, CLI, jobs and the library facet."""

from vigil.core.registry import Domain, Subscription

DOMAIN = Domain(
    name="incidents",
    models=("vigil.incidents.models",),
    api=(
        "vigil.incidents.api_sla_report:router",  # before api:router, whose /{ref} would take "sla-report"
        "vigil.incidents.api:router",
        "vigil.incidents.api_related:router",
        "vigil.incidents.api_bulk:router",
        "vigil.incidents.api:categories_router",
        "vigil.incidents.api:levels_router",
    ),
    ui=(
        "vigil.incidents.ui_queue:router",
        "vigil.incidents.ui_related:router",
        "vigil.incidents.ui:router",
        "vigil.incidents.ui_portal:router",
        "vigil.incidents.ui_sla_report:router",
        "vigil.incidents.ui_services:router",
    ),
    cli=(
        ("incident", "vigil.incidents.cli:app", "Incidents: create, list, show and work them."),
        ("report", "vigil.incidents.cli_sla_report:app", "Reports: SLA compliance."),
    ),
    jobs=("vigil.incidents.jobs",),
    hooks=("vigil.incidents.links", "vigil.incidents.metrics"),
    subscriptions=(Subscription("vigil.sla.events:SlaThresholdReached", "incidents.sla_threshold"),),
    settings="vigil.incidents.settings:get_incident_settings",
    facets=(("incidents", "vigil.incidents.library:Incidents"),),
)
