"""Alert intake's parts: tables, endpoints, pages, CLI, the retry job and the library facets."""

from vigil.core.registry import Domain

DOMAIN = Domain(
    name="alerts",
    models=("vigil.alerts.models",),
    api=(
        "vigil.alerts.api_intake:router",  # before api:router, whose /{name}/... would take the kinds
        "vigil.alerts.api:router",
        "vigil.alerts.api:alerts_router",
    ),
    ui=("vigil.alerts.ui:router",),
    cli=(
        ("alerts", "vigil.alerts.cli:app", "Alerts from monitoring: list, show, promote."),
        (
            "integration",
            "vigil.alerts.cli:integrations",
            "Alert integrations: create, list, show, rotate-token, dry-run.",
        ),
    ),
    jobs=("vigil.alerts.jobs",),
    settings="vigil.alerts.settings:get_alert_settings",
    facets=(("alerts", "vigil.alerts.library:Alerts"), ("integrations", "vigil.alerts.library:Integrations")),
)
