"""The SLA engine's parts: its tables, its sweep job (record types use it through its service), and the
management of calendars and policies (endpoints, admin pages, CLI)."""

from vigil.core.registry import Domain

DOMAIN = Domain(
    name="sla",
    models=("vigil.sla.models",),
    api=("vigil.sla.api:router",),
    ui=("vigil.sla.ui:router",),
    cli=(("sla", "vigil.sla.cli:app", "SLA calendars and policies: list, show and change them."),),
    jobs=("vigil.sla.jobs",),
    facets=(("sla", "vigil.sla.library:Sla"),),
)
