"""Notifications' parts: the inbox tables, endpoints, page, CLI, library facet and event subscriptions."""

from vigil.core.registry import Domain, Subscription

DOMAIN = Domain(
    name="notifications",
    models=("vigil.notifications.models",),
    api=("vigil.notifications.api:router",),
    ui=("vigil.notifications.ui:router",),
    cli=(("notifications", "vigil.notifications.cli:app", "Your notifications: list, mark read."),),
    jobs=("vigil.notifications.jobs",),
    subscriptions=(
        Subscription("vigil.incidents.events:IncidentAssigned", "notifications.incident_assigned"),
        Subscription("vigil.incidents.events:IncidentCommented", "notifications.incident_commented"),
        Subscription("vigil.incidents.events:IncidentEscalated", "notifications.incident_escalated"),
        Subscription("vigil.sla.events:SlaThresholdReached", "notifications.sla_threshold"),
    ),
    facets=(("notifications", "vigil.notifications.library:Notifications"),),
)
