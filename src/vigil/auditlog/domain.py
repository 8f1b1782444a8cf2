"""The audit trail's parts: endpoints, the admin page and `vigil audit`."""

from vigil.core.registry import Domain

DOMAIN = Domain(
    name="auditlog",
    api=("vigil.auditlog.api:router",),
    ui=("vigil.auditlog.ui:router",),
    cli=(("audit", "vigil.auditlog.cli:app", "The audit trail: verify the hash chain, list records."),),
)
